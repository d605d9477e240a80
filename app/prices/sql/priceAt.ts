import type { SqlRunner } from "../../db/database.server";

export interface PriceAtRow {
  sku: string;
  list: string;
  /** Null: the SKU is in the catalog but has no price on this list at T. */
  amount: string | null;
  currency: string | null;
  compareAt: string | null;
  validFrom: Date | null;
  validTo: Date | null;
  version: string | null;
  /** When the answer may change next (the version's end, or the next version's start): null = nothing planned. */
  nextBoundary: Date | null;
}

/**
 * "The price of SKU X on list L at time T", for several SKUs in one statement: the one active
 * version whose [valid_from, valid_to) holds T (the overlap trigger makes it at most one), and the
 * next instant the answer can change. SKUs not in the catalog are left out. A lateral lookup per SKU
 * (the item's index), whatever the table's statistics: right after a bulk load the planner would
 * otherwise guess one row and scan every version once per SKU.
 */
export async function priceAt(sql: SqlRunner, shopId: string, list: string, skus: string[], at: Date): Promise<PriceAtRow[]> {
  return sql.query<PriceAtRow>(
    `SELECT v.sku, $2::text AS list, pv.amount::text AS amount, pv.currency, pv.compare_at::text AS "compareAt",
            pv.valid_from AS "validFrom", pv.valid_to AS "validTo", pv.id::text AS version,
            coalesce(pv.valid_to, (SELECT min(n.valid_from) FROM price_version n
               WHERE n.shop_id = v.shop_id AND n.variant_id = v.id AND n.list = $2::text
                 AND n.superseded_at IS NULL AND n.valid_from > $4::timestamptz)) AS "nextBoundary"
     FROM variant v
     LEFT JOIN LATERAL (
       SELECT pv.* FROM price_version pv
       WHERE pv.shop_id = v.shop_id AND pv.variant_id = v.id AND pv.list = $2::text
         AND pv.superseded_at IS NULL AND pv.valid_from <= $4::timestamptz AND (pv.valid_to IS NULL OR pv.valid_to > $4::timestamptz)
       ORDER BY pv.valid_from DESC LIMIT 1
     ) pv ON true
     WHERE v.shop_id = $1 AND v.sku = ANY($3::text[])
     ORDER BY v.sku`,
    [shopId, list, skus, at.toISOString()],
  );
}
