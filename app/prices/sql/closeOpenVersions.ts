import type { SqlRunner } from "../../db/database.server";
import { inChunks } from "../chunks";

/**
 * SCD2's "close the current row": the open version (no valid_to) of each (item, list) that started
 * before `at` ends at `at` (the overlap rule leaves at most one). Its amount and start stay as they
 * were. One statement per ~1,000 rows, one index probe per item (a lateral lookup: as a plain join
 * the planner, without statistics right after a bulk load, scanned every version per item).
 */
export async function closeOpenVersions(tx: SqlRunner, shopId: string, closes: Array<{ variantId: string; list: string; at: Date }>): Promise<number> {
  if (closes.length === 0) return 0;
  const rows = await inChunks(closes, (chunk) =>
    tx.query(
      `WITH c AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS c(variant_id, list, at)),
       open AS (
         SELECT o.id, c.at FROM c CROSS JOIN LATERAL (
           SELECT pv.id FROM price_version pv
           WHERE pv.shop_id = $1 AND pv.variant_id = c.variant_id AND pv.list = c.list
             AND pv.superseded_at IS NULL AND pv.valid_to IS NULL AND pv.valid_from < c.at
           ORDER BY pv.valid_from DESC LIMIT 1
         ) o
       )
       UPDATE price_version pv SET valid_to = open.at FROM open WHERE pv.id = open.id
       RETURNING pv.id`,
      [shopId, chunk.map((c) => c.variantId), chunk.map((c) => c.list), chunk.map((c) => c.at.toISOString())],
    ),
  );
  return rows.length;
}
