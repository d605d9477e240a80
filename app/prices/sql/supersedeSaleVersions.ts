import type { SqlRunner } from "../../db/database.server";

export interface SupersededSaleVersion {
  variantId: string;
  list: string;
  source: "sale" | "sale_end";
  validFrom: Date;
  validTo: Date | null;
}

/** Marks a sale's current versions (its price and its end's restore) superseded: kept in the history, never current, their activations skipped. */
export async function supersedeSaleVersions(tx: SqlRunner, shopId: string, saleId: string): Promise<SupersededSaleVersion[]> {
  return tx.query<SupersededSaleVersion>(
    `UPDATE price_version SET superseded_at = now()
     WHERE shop_id = $1 AND sale_id = $2::uuid AND source IN ('sale', 'sale_end') AND superseded_at IS NULL
     RETURNING variant_id AS "variantId", list, source, valid_from AS "validFrom", valid_to AS "validTo"`,
    [shopId, saleId],
  );
}
