import type { SqlRunner } from "../../db/database.server";

/**
 * The stored metafields of the products of these SKUs (SKUs whose product has none are left out):
 * one statement per page of a feed run, through the (shop_id, sku) key.
 */
export async function readProductMetafields(sql: SqlRunner, shopId: string, skus: string[]): Promise<Map<string, Record<string, string>>> {
  if (skus.length === 0) return new Map();
  const rows = await sql.query<{ sku: string; metafields: Record<string, string> }>(
    `SELECT v.sku, p.metafields FROM variant v JOIN product p ON p.id = v.product_id
     WHERE v.shop_id = $1 AND v.sku = ANY($2::text[]) AND p.metafields IS NOT NULL`,
    [shopId, skus],
  );
  return new Map(rows.map((row) => [row.sku, row.metafields]));
}
