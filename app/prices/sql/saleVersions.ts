import type { SqlRunner } from "../../db/database.server";

export interface SaleVersion {
  id: string;
  variantId: string;
  sku: string;
  list: string;
  /** sale (the window) or sale_end (the restore after it). */
  source: string;
  validTo: Date | null;
}

/** The versions a sale planned that are still in force (not superseded), with their SKUs. */
export async function saleVersions(tx: SqlRunner, shopId: string, saleId: string): Promise<SaleVersion[]> {
  return tx.query<SaleVersion>(
    `SELECT pv.id::text AS id, pv.variant_id AS "variantId", v.sku, pv.list, pv.source, pv.valid_to AS "validTo"
     FROM price_version pv JOIN variant v ON v.id = pv.variant_id AND v.shop_id = pv.shop_id
     WHERE pv.shop_id = $1 AND pv.sale_id = $2::uuid AND pv.superseded_at IS NULL ORDER BY v.sku, pv.valid_from`,
    [shopId, saleId],
  );
}
