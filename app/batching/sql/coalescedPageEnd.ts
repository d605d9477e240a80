import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";
import { latestInRange } from "./itemColumns";

/**
 * The variant id that ends the page of `limit` items after `after` in a change range (what
 * `coalesceChanges` would return as that page's last row), or null when fewer remain (the last
 * page). It reads only `change_latest`'s keys, a fraction of a page's cost, so a files run can
 * know the next pages' bounds and read them on several connections at once (`coalescedPages`).
 * An item changed only after the range also counts here, so a page it bounds may hold fewer rows.
 */
export async function coalescedPageEnd(
  sql: SqlRunner,
  range: { shopId: string; kind: ItemKind; from: string; priceList?: string },
  after: string,
  limit: number,
): Promise<string | null> {
  const rows = await sql.query<{ end: string }>(
    `SELECT l.variant_id::text AS "end" FROM change_latest l
     WHERE ${latestInRange({ shopId: "$1", kind: "$2", priceList: "$4", after: "$5", from: "$3" })}
     ORDER BY l.variant_id OFFSET $6 LIMIT 1`,
    [range.shopId, range.kind, range.from, range.priceList ?? "default", after, limit - 1],
  );
  return rows[0]?.end ?? null;
}
