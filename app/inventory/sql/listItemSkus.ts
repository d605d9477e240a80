import type { SqlRunner } from "../../db/database.server";

/**
 * The SKUs whose availability a change to these platform inventory items moves: the items' own and
 * those of the bundles made of them (`listAffectedSkus` does the same from our variant id).
 */
export async function listItemSkus(sql: SqlRunner, shopId: string, inventoryItemExternalIds: string[]): Promise<string[]> {
  const rows = await sql.query<{ sku: string }>(
    `WITH item AS (SELECT id, sku FROM variant WHERE shop_id = $1::uuid AND inventory_item_external_id = ANY($2::text[]))
     SELECT sku FROM item
     UNION SELECT v.sku FROM bundle_component b JOIN item ON b.component_variant_id = item.id JOIN variant v ON v.id = b.bundle_variant_id`,
    [shopId, inventoryItemExternalIds],
  );
  return rows.map((row) => row.sku);
}
