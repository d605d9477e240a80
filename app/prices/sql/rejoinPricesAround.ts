import type { SqlRunner } from "../../db/database.server";

/**
 * After a sale's versions are superseded: each item's version that the sale closed at its start
 * runs again until where the sale's restore ran (open, or the next planned version), so no gap is left.
 */
export async function rejoinPricesAround(tx: SqlRunner, shopId: string, saleStart: Date, restores: Array<{ variantId: string; list: string; validTo: Date | null }>): Promise<number> {
  if (restores.length === 0) return 0;
  const rows = await tx.query(
    `UPDATE price_version b SET valid_to = r.valid_to
     FROM json_to_recordset($3::json) AS r(variant_id uuid, list text, valid_to timestamptz)
     WHERE b.shop_id = $1 AND b.variant_id = r.variant_id AND b.list = r.list AND b.valid_to = $2::timestamptz AND b.superseded_at IS NULL
     RETURNING b.id`,
    [shopId, saleStart.toISOString(), JSON.stringify(restores.map((restore) => ({ variant_id: restore.variantId, list: restore.list, valid_to: restore.validTo })))],
  );
  return rows.length;
}
