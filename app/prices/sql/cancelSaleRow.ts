import type { SqlRunner } from "../../db/database.server";

export async function cancelSaleRow(tx: SqlRunner, shopId: string, saleId: string, cancelledBy: string): Promise<void> {
  await tx.query(`UPDATE price_sale SET cancelled_at = now(), cancelled_by = $3 WHERE shop_id = $1 AND id = $2::uuid`, [shopId, saleId, cancelledBy]);
}
