import type { SqlRunner } from "../../db/database.server";

/**
 * A placeholder product and variant for an inventory item Lockstep has not seen yet (no source
 * time, so the first product event fills them in). `placeholder` is the external id both get.
 */
export async function createPlaceholderVariant(
  tx: SqlRunner,
  shopId: string,
  item: { placeholder: string; title: string; inventoryItemExternalId: string; sku: string },
): Promise<string> {
  const rows = await tx.query<{ id: string }>(
    `WITH product_row AS (
       INSERT INTO product (id, shop_id, external_id, title) VALUES (gen_random_uuid(), $1, $2, $3)
       ON CONFLICT (shop_id, external_id) DO UPDATE SET updated_at = product.updated_at RETURNING id
     )
     INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku)
     SELECT gen_random_uuid(), $1, product_row.id, $2, $4, $5 FROM product_row
     RETURNING id`,
    [shopId, item.placeholder, item.title, item.inventoryItemExternalId, item.sku],
  );
  return rows[0]!.id;
}
