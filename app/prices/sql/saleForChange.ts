import type { SqlRunner } from "../../db/database.server";
import type { SaleRow } from "./insertSale";

/** What an edit or a cancellation needs of a sale: its terms (`SaleRow`), state and items. */
export interface SaleForChange extends Pick<SaleRow, "name" | "list" | "startsAt" | "endsAt" | "kind" | "value"> {
  id: string;
  cancelledAt: Date | null;
  /** Its start is still ahead by the database's clock. */
  upcoming: boolean;
  /** The SKUs of its current (not superseded) sale versions. */
  skus: string[];
}

/** One sale of a shop, locked for the rest of the transaction (edits and cancellations of it queue). */
export async function saleForChange(tx: SqlRunner, shopId: string, saleId: string): Promise<SaleForChange | undefined> {
  const [row] = await tx.query<SaleForChange>(
    `SELECT s.id, s.name, s.list, s.starts_at AS "startsAt", s.ends_at AS "endsAt", s.kind, s.value::text AS value, s.cancelled_at AS "cancelledAt",
            s.starts_at > now() AS upcoming,
            coalesce((SELECT array_agg(v.sku ORDER BY v.sku) FROM price_version pv JOIN variant v ON v.id = pv.variant_id
                      WHERE pv.shop_id = s.shop_id AND pv.sale_id = s.id AND pv.source = 'sale' AND pv.superseded_at IS NULL), '{}') AS skus
     FROM price_sale s WHERE s.shop_id = $1 AND s.id = $2::uuid
     FOR UPDATE OF s`,
    [shopId, saleId],
  );
  return row;
}
