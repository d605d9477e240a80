import type { SqlRunner } from "../../db/database.server";
import type { SaleRow } from "./insertSale";

/** Rewrites an edited sale's terms in place (same id: its new versions carry it). */
export async function updateSale(tx: SqlRunner, shopId: string, saleId: string, sale: Omit<SaleRow, "createdBy">): Promise<void> {
  await tx.query(
    `UPDATE price_sale SET name = $3, list = $4, starts_at = $5, ends_at = $6, kind = $7, value = $8::numeric, item_count = $9 WHERE shop_id = $1 AND id = $2::uuid`,
    [shopId, saleId, sale.name, sale.list, sale.startsAt.toISOString(), sale.endsAt.toISOString(), sale.kind, sale.value, sale.itemCount],
  );
}
