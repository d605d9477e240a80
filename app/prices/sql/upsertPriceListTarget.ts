import type { SqlRunner } from "../../db/database.server";

/** Maps a shop's named list to a BigCommerce price list (or moves it to another). */
export async function upsertPriceListTarget(sql: SqlRunner, shopId: string, list: string, bigCommercePriceListId: number): Promise<void> {
  await sql.query(
    `INSERT INTO price_list_target (shop_id, list, bigcommerce_price_list_id) VALUES ($1, $2, $3)
     ON CONFLICT (shop_id, list) DO UPDATE SET bigcommerce_price_list_id = EXCLUDED.bigcommerce_price_list_id`,
    [shopId, list, bigCommercePriceListId],
  );
}
