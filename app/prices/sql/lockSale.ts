import type { SqlRunner } from "../../db/database.server";

export interface LockedSale {
  id: string;
  name: string;
  list: string;
  startsAt: Date;
  endsAt: Date;
  kind: "amount" | "percent";
  value: string;
  cancelledAt: Date | null;
}

/** One sale of the shop, locked for the rest of the transaction (an edit and a cancel queue). */
export async function lockSale(tx: SqlRunner, shopId: string, saleId: string): Promise<LockedSale | undefined> {
  const [row] = await tx.query<LockedSale>(
    `SELECT id, name, list, starts_at AS "startsAt", ends_at AS "endsAt", kind, value::text AS value, cancelled_at AS "cancelledAt"
     FROM price_sale WHERE shop_id = $1 AND id = $2::uuid FOR UPDATE`,
    [shopId, saleId],
  );
  return row;
}
