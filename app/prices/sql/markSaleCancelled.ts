import type { SqlRunner } from "../../db/database.server";

export async function markSaleCancelled(tx: SqlRunner, saleId: string, by: string, at: Date): Promise<void> {
  await tx.query(`UPDATE price_sale SET cancelled_at = $2, cancelled_by = $3 WHERE id = $1::uuid`, [saleId, at.toISOString(), by]);
}
