import type { SqlRunner } from "../../db/database.server";
import type { SaleRow } from "./insertSale";

/** A sale's plan as edited before its start (its versions are re-planned in the same transaction). */
export async function updateSaleRow(tx: SqlRunner, shopId: string, saleId: string, sale: Omit<SaleRow, "list" | "createdBy">): Promise<void> {
  await tx.query(
    `UPDATE price_sale SET name = $3, starts_at = $4, ends_at = $5, kind = $6, value = $7::numeric, item_count = $8 WHERE shop_id = $1 AND id = $2::uuid`,
    [shopId, saleId, sale.name, sale.startsAt.toISOString(), sale.endsAt.toISOString(), sale.kind, sale.value, sale.itemCount],
  );
}
