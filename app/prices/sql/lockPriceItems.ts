import type { SqlRunner } from "../../db/database.server";

/** The advisory lock key of one item's list: the same the overlap trigger takes (migration prices). */
export const PRICE_LOCK_CLASS = 20557;
/** The (shop, list) lock: shared by every writer of single items, exclusive for a bulk writer (migration price_list_lock). */
export const PRICE_LIST_LOCK_CLASS = 20558;
/** Above this many items one write locks the whole list instead (PostgreSQL's lock table holds ~6,400 entries by default). */
export const BULK_LOCK_ITEMS = 500;

const HELD = `strpos('|' || coalesce(current_setting('lockstep.price_list_locks', true), '') || '|', '|' || lk || '|') = 0`;

/**
 * Locks the (item, list) pairs for the rest of the transaction, in one order, so two writers of the
 * same items queue instead of deadlocking; the overlap trigger then re-takes them for free.
 * Two levels: a few items take their list's lock shared plus one lock each; more than
 * BULK_LOCK_ITEMS take their lists' locks exclusively (named in `lockstep.price_list_locks` for the
 * trigger and later calls of this transaction, which then take no item locks). Lists already held
 * exclusively by this transaction are skipped.
 */
export async function lockPriceItems(tx: SqlRunner, shopId: string, items: Array<{ variantId: string; list: string }>): Promise<void> {
  if (items.length === 0) return;
  const lists = [...new Set(items.map((item) => `${shopId}${item.list}`))].sort();
  const pairs = new Map(items.map((item) => [`${shopId}${item.variantId}${item.list}`, `${shopId}${item.list}`]));
  if (pairs.size > BULK_LOCK_ITEMS) {
    await lockPriceLists(tx, shopId, [...new Set(items.map((item) => item.list))]);
    return;
  }
  await tx.query(`SELECT count(pg_advisory_xact_lock_shared(${PRICE_LIST_LOCK_CLASS}, hashtext(lk))) FROM (SELECT lk FROM unnest($1::text[]) AS lk WHERE ${HELD} ORDER BY hashtext(lk)) keys`, [lists]);
  await tx.query(
    `SELECT count(pg_advisory_xact_lock(${PRICE_LOCK_CLASS}, hashtext(k))) FROM (SELECT k FROM unnest($1::text[], $2::text[]) AS t(k, lk) WHERE ${HELD} ORDER BY hashtext(k)) keys`,
    [[...pairs.keys()], [...pairs.values()]],
  );
}

/**
 * Locks whole lists of a shop exclusively for the rest of the transaction (a bulk writer: a big
 * sale, an import, a seed), named in `lockstep.price_list_locks` so the overlap trigger and later
 * calls take no per-item locks for them.
 */
export async function lockPriceLists(tx: SqlRunner, shopId: string, lists: string[]): Promise<void> {
  const keys = [...new Set(lists.map((list) => `${shopId}${list}`))].sort();
  if (keys.length === 0) return;
  await tx.query(
    `SELECT count(pg_advisory_xact_lock(${PRICE_LIST_LOCK_CLASS}, hashtext(lk))),
            set_config('lockstep.price_list_locks', concat_ws('|', nullif(current_setting('lockstep.price_list_locks', true), ''), string_agg(lk, '|')), true)
     FROM (SELECT lk FROM unnest($1::text[]) AS lk WHERE ${HELD} ORDER BY hashtext(lk)) keys`,
    [keys],
  );
}
