import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";

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
    `SELECT variant_id::text AS "end" FROM change_latest
     WHERE shop_id = $1 AND kind = $2 AND price_list = CASE WHEN $2 = 'price' THEN $4 ELSE 'default' END AND variant_id > $5::uuid AND change_id > $3::bigint
     ORDER BY variant_id OFFSET $6 LIMIT 1`,
    [range.shopId, range.kind, range.from, range.priceList ?? "default", after, limit - 1],
  );
  return rows[0]?.end ?? null;
}
