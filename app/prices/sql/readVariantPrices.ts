import type { SqlRunner } from "../../db/database.server";

/** Every variant of a shop with its catalog price (the store's own list), in SKU order: what the demo seeds as price versions. */
export async function readVariantPrices(sql: SqlRunner, shopId: string): Promise<{ id: string; price: string }[]> {
  return sql.query<{ id: string; price: string }>(`SELECT id, price::text FROM variant WHERE shop_id = $1 ORDER BY sku`, [shopId]);
}
