import type { SqlRunner } from "../../db/database.server";

export interface ReportedVariant {
  externalId: string;
  productId: string;
  /** null keeps the item the row has. */
  inventoryItemExternalId: string | null;
  sku: string;
  title: string;
  at: Date;
  /** Absent keeps what the row has; null clears it. */
  gtin?: string | null;
  mpn?: string | null;
}

/** Updates the row `findReportedVariant` found (`id`), or inserts the variant when it found none. */
export async function writeReportedVariant(tx: SqlRunner, shopId: string, id: string | null, variant: ReportedVariant): Promise<void> {
  const at = variant.at.toISOString();
  if (id) {
    await tx.query(
      `UPDATE variant SET external_id = $2, product_id = $3, inventory_item_external_id = COALESCE($4, inventory_item_external_id), sku = $5, title = $6, source_updated_at = $7, updated_at = now(),
         gtin = CASE WHEN $8 THEN $9 ELSE gtin END, mpn = CASE WHEN $10 THEN $11 ELSE mpn END
       WHERE id = $1`,
      [id, variant.externalId, variant.productId, variant.inventoryItemExternalId, variant.sku, variant.title, at, variant.gtin !== undefined, variant.gtin ?? null, variant.mpn !== undefined, variant.mpn ?? null],
    );
  } else {
    await tx.query(
      `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title, source_updated_at, gtin, mpn)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [shopId, variant.productId, variant.externalId, variant.inventoryItemExternalId, variant.sku, variant.title, at, variant.gtin ?? null, variant.mpn ?? null],
    );
  }
}
