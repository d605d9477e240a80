import type { SqlRunner } from "../../db/database.server";

/** The advisory lock key of one item's list: the same the overlap trigger takes (migration prices). */
export const PRICE_LOCK_CLASS = 20557;

/**
 * Locks the (item, list) pairs for the rest of the transaction, in one order, so two writers of the
 * same items queue instead of deadlocking; the overlap trigger then re-takes them for free.
 */
export async function lockPriceItems(tx: SqlRunner, shopId: string, items: Array<{ variantId: string; list: string }>): Promise<void> {
  if (items.length === 0) return;
  const keys = [...new Set(items.map((item) => `${shopId}${item.variantId}${item.list}`))].sort();
  await tx.query(`SELECT count(pg_advisory_xact_lock(${PRICE_LOCK_CLASS}, hashtext(k))) FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY hashtext(k)) keys`, [keys]);
}
