import type { SqlRunner } from "../../db/database.server";

/**
 * Gives the variant its price (and compare-at price, when the report carries one) as reported at
 * `at`, unless a newer report reached it first.
 */
export async function setVariantPrice(tx: SqlRunner, shopId: string, variantExternalId: string, price: string, at: Date, compareAtPrice?: string | null): Promise<void> {
  await tx.query(
    `UPDATE variant SET price = $3::numeric, source_updated_at = $4, updated_at = now(),
       compare_at_price = CASE WHEN $5 THEN $6::numeric ELSE compare_at_price END
     WHERE shop_id = $1 AND external_id = $2 AND (source_updated_at IS NULL OR source_updated_at <= $4)`,
    [shopId, variantExternalId, price, at.toISOString(), compareAtPrice !== undefined, compareAtPrice ?? null],
  );
}
