import type { SqlRunner } from "../../db/database.server";

/** The shop's variant id of each SKU that exists (unknown SKUs are simply absent). */
export async function variantsBySku(sql: SqlRunner, shopId: string, skus: string[]): Promise<Map<string, string>> {
  const rows = await sql.query<{ sku: string; id: string }>(`SELECT sku, id FROM variant WHERE shop_id = $1 AND sku = ANY($2::text[])`, [shopId, skus]);
  return new Map(rows.map((row) => [row.sku, row.id]));
}
