// When does the platform's inventory include an order Lockstep committed?
//
// A commit moves the order's units from `reserved` to the hold row's `pending` list, stamped with
// the order's time; they keep counting there until the platform reports the order itself. The
// platform reports it by lowering what a level of the item can sell (Shopify moves the units from
// available to committed, BigCommerce takes them off the location's quantity), at whichever
// location the order is routed to. So a level records the source time of the newest report that
// lowered it (`lowered_at`), and a pending entry counts until a level of its item was lowered at or
// after the order. A restock, or any other report that does not lower a level, leaves it counting:
// the units are never counted zero times (an oversell); at worst twice for a while (a refused sale),
// until the next lowering or the sweeper's horizon.

/**
 * SQL for the new `lowered_at` of a level being updated: the new report's time when it lowers what
 * the level can sell, else what it was. `level` is the row before the update, `sellable` the new
 * on hand − committed, `at` the new report's source time, `loweredInBatch` (optional) the time of a
 * lowering between reports applied together.
 */
export function loweredAt(p: { level: string; sellable: string; at: string; loweredInBatch?: string }): string {
  const own = `CASE WHEN (${p.sellable}) < ${p.level}.on_hand - ${p.level}.committed THEN ${p.at} ELSE ${p.level}.lowered_at END`;
  return p.loweredInBatch ? `greatest(${own}, ${p.loweredInBatch})` : own;
}

/** SQL condition: the pending entry `entry` (jsonb `{o, q, at}`) of item `variant` is in the platform's numbers. */
export function commitReflected(variant: string, entry: string): string {
  return `EXISTS (SELECT 1 FROM inventory_level done WHERE done.variant_id = ${variant} AND done.lowered_at >= (${entry}->>'at')::timestamptz)`;
}
