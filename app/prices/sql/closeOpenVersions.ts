import type { SqlRunner } from "../../db/database.server";

/**
 * SCD2's "close the current row": the open version (no valid_to) of each (item, list) that started
 * before `at` ends at `at`. Its amount and start stay as they were. One statement for the batch.
 */
export async function closeOpenVersions(tx: SqlRunner, shopId: string, closes: Array<{ variantId: string; list: string; at: Date }>): Promise<number> {
  if (closes.length === 0) return 0;
  const rows = await tx.query(
    `UPDATE price_version pv SET valid_to = c.at
     FROM json_to_recordset($2::json) AS c(variant_id uuid, list text, at timestamptz)
     WHERE pv.shop_id = $1 AND pv.variant_id = c.variant_id AND pv.list = c.list
       AND pv.superseded_at IS NULL AND pv.valid_to IS NULL AND pv.valid_from < c.at
     RETURNING pv.id`,
    [shopId, JSON.stringify(closes.map((c) => ({ variant_id: c.variantId, list: c.list, at: c.at.toISOString() })))],
  );
  return rows.length;
}
