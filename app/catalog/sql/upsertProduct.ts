import type { SqlRunner } from "../../db/database.server";

/**
 * Writes a product as reported at `at`, unless a newer report reached it first; its id, or
 * undefined when the report was older. A deleted product stays as a tombstone (status "deleted",
 * title kept) so an older create arriving later cannot resurrect it.
 */
export async function upsertProduct(
  tx: SqlRunner,
  shopId: string,
  product: { externalId: string; title: string; status: string; deleted: boolean; at: Date },
): Promise<string | undefined> {
  const rows = await tx.query<{ id: string }>(
    `INSERT INTO product (id, shop_id, external_id, title, status, source_updated_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)
     ON CONFLICT (shop_id, external_id) DO UPDATE SET
       title = CASE WHEN $6 THEN product.title ELSE EXCLUDED.title END, status = EXCLUDED.status, source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
     WHERE product.source_updated_at IS NULL OR product.source_updated_at <= EXCLUDED.source_updated_at
     RETURNING id`,
    [shopId, product.externalId, product.title, product.status, product.at.toISOString(), product.deleted],
  );
  return rows[0]?.id;
}
