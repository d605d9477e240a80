import type { SqlRunner } from "../../db/database.server";

export interface SaleRow {
  name: string;
  list: string;
  startsAt: Date;
  endsAt: Date;
  kind: "amount" | "percent";
  value: string;
  itemCount: number;
  createdBy: string;
}

export async function insertSale(tx: SqlRunner, shopId: string, sale: SaleRow): Promise<string> {
  const [row] = await tx.query<{ id: string }>(
    `INSERT INTO price_sale (id, shop_id, name, list, starts_at, ends_at, kind, value, item_count, created_by)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::numeric, $8, $9) RETURNING id`,
    [shopId, sale.name, sale.list, sale.startsAt.toISOString(), sale.endsAt.toISOString(), sale.kind, sale.value, sale.itemCount, sale.createdBy],
  );
  return row!.id;
}
