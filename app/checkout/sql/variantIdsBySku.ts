import type { SqlRunner } from "../../db/database.server";

/** The platform's variant id of each known SKU of a shop. */
export async function variantIdsBySku(sql: SqlRunner, shopId: string, skus: string[]): Promise<Map<string, string>> {
  const rows = await sql.query<{ sku: string; external_id: string }>(
    `SELECT sku, external_id FROM variant WHERE shop_id = $1::uuid AND sku = ANY($2::text[])`,
    [shopId, skus],
  );
  return new Map(rows.map((row) => [row.sku, row.external_id]));
}
