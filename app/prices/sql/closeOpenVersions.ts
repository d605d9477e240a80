import type { SqlRunner } from "../../db/database.server";
import { inChunks } from "../chunks";

/**
 * SCD2's "close the current row": the open version (no valid_to) of each (item, list) that started
 * before `at` ends at `at`. Its amount and start stay as they were. One statement per ~1,000 rows.
 */
export async function closeOpenVersions(tx: SqlRunner, shopId: string, closes: Array<{ variantId: string; list: string; at: Date }>): Promise<number> {
  if (closes.length === 0) return 0;
  const rows = await inChunks(closes, (chunk) =>
    tx.query(
      `UPDATE price_version pv SET valid_to = c.at
     FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS c(variant_id, list, at)
     WHERE pv.shop_id = $1 AND pv.variant_id = c.variant_id AND pv.list = c.list
       AND pv.superseded_at IS NULL AND pv.valid_to IS NULL AND pv.valid_from < c.at
     RETURNING pv.id`,
      [shopId, chunk.map((c) => c.variantId), chunk.map((c) => c.list), chunk.map((c) => c.at.toISOString())],
    ),
  );
  return rows.length;
}
