import type { SqlRunner } from "../../db/database.server";
import type { CatalogBatch } from "../../catalog/catalogRows";

/**
 * Adds a batch to the shop's counts, in the batch's own transaction so counts never run ahead of
 * the rows. False when another run took the shop over: the caller must then write nothing.
 */
export async function recordBackfillBatch(tx: SqlRunner, run: { shopId: string; startedAt: Date }, batch: CatalogBatch, now: Date): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE catalog_backfill SET locations = locations + $2, products = products + $3, variants = variants + $4, levels = levels + $5, updated_at = $6
     WHERE shop_id = $1 AND state = 'running' AND started_at = $7 RETURNING 1`,
    [run.shopId, batch.locations.length, batch.products.length, batch.variants.length, batch.levels.length, now.toISOString(), run.startedAt.toISOString()],
  );
  return rows.length === 1;
}
