import type { SqlRunner } from "../../db/database.server";

/**
 * The catalog row follows the store's list once a version is applied: price and compare-at, and the
 * version's start as the row's source time (a late webhook older than it is not applied over it).
 * Returns the source time each row now carries, for the change capture.
 */
export async function applyActivatedPrices(tx: SqlRunner, prices: Array<{ variantId: string; amount: string; validFrom: Date }>): Promise<Array<{ shopId: string; variantId: string; sourceUpdatedAt: Date }>> {
  if (prices.length === 0) return [];
  return tx.query(
    `UPDATE variant v SET price = i.amount, source_updated_at = greatest(v.source_updated_at, i.valid_from), updated_at = now()
     FROM unnest($1::uuid[], $2::numeric[], $3::timestamptz[]) AS i(variant_id, amount, valid_from)
     WHERE v.id = i.variant_id
     RETURNING v.shop_id AS "shopId", v.id AS "variantId", v.source_updated_at AS "sourceUpdatedAt"`,
    [prices.map((p) => p.variantId), prices.map((p) => p.amount), prices.map((p) => new Date(p.validFrom).toISOString())],
  );
}
