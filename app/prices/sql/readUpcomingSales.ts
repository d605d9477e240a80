import type { SqlRunner } from "../../db/database.server";

export interface UpcomingSale {
  sku: string;
  /** The sale price and the regular price it replaces (decimal strings). */
  amount: string;
  regular: string | null;
  validFrom: Date;
  validTo: Date | null;
}

/**
 * Per SKU, the scheduled sale on `list` running at `at` or the next one to start (not superseded,
 * e.g. cancelled): what a marketplace that takes dated sale prices (Google's
 * `sale_price_effective_date`) is told ahead of the start.
 */
export async function readUpcomingSales(sql: SqlRunner, shopId: string, list: string, skus: string[], at: Date): Promise<UpcomingSale[]> {
  return sql.query<UpcomingSale>(
    `SELECT DISTINCT ON (v.sku) v.sku, pv.amount::text AS amount, pv.compare_at::text AS regular, pv.valid_from AS "validFrom", pv.valid_to AS "validTo"
     FROM variant v JOIN price_version pv ON pv.shop_id = v.shop_id AND pv.variant_id = v.id
     WHERE v.shop_id = $1 AND v.sku = ANY($3::text[]) AND pv.list = $2 AND pv.source = 'sale' AND pv.superseded_at IS NULL
       AND (pv.valid_to IS NULL OR pv.valid_to > $4)
     ORDER BY v.sku, pv.valid_from`,
    [shopId, list, skus, at.toISOString()],
  );
}
