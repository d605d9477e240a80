import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";

/**
 * How many change records of one kind a run's range holds (the manifest's "changes in"): a range scan
 * of the (shop, kind, id) index. Price changes: those of the destination's `priceList` only.
 */
export async function countChanges(sql: SqlRunner, range: { shopId: string; kind: ItemKind; from: string; to: string; priceList?: string }): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM change_record
     WHERE shop_id = $1 AND kind = $2 AND id > $3::bigint AND id <= $4::bigint AND price_list = CASE WHEN $2 = 'price' THEN $5 ELSE 'default' END`,
    [range.shopId, range.kind, range.from, range.to, range.priceList ?? "default"],
  );
  return rows[0]?.n ?? 0;
}
