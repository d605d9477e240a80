import type { SqlRunner } from "../../db/database.server";

/** Gives the variant its SKU as reported at `at` (check `variantTakesChange` first). */
export async function setVariantSku(tx: SqlRunner, variantId: string, sku: string, at: Date): Promise<void> {
  await tx.query(`UPDATE variant SET sku = $2, source_updated_at = $3, updated_at = now() WHERE id = $1`, [variantId, sku, at.toISOString()]);
}
