import type { SqlRunner } from "../../db/database.server";

/** Creates the hold rows a reservation needs (once per item and scope; concurrent callers are fine). */
export async function createHolds(sql: SqlRunner, input: { shopId: string; holds: { variant_id: string; scope: string }[] }): Promise<void> {
  await sql.query(
    `INSERT INTO stock_hold (shop_id, variant_id, scope)
     SELECT $1::uuid, h.variant_id, h.scope FROM unnest($2::uuid[], $3::text[]) AS h(variant_id, scope)
     ON CONFLICT DO NOTHING`,
    [input.shopId, input.holds.map((h) => h.variant_id), input.holds.map((h) => h.scope)],
  );
}
