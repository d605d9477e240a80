/**
 * The two CTEs that commit and release share, after a `target` CTE of reservations locked FOR
 * UPDATE: `<units>` sums the units the active ones hold per (variant, scope), and `locked` locks
 * those `stock_hold` rows in (variant, scope) order, the order reserve keeps, so they never deadlock.
 */
export function lockActiveHolds(units: string): string {
  return `${units} AS (
      SELECT (h->>'v')::uuid AS variant_id, h->>'s' AS scope, sum((h->>'q')::int)::int AS q
      FROM target t CROSS JOIN jsonb_array_elements(t.holds) h WHERE t.status = 'active'
      GROUP BY 1, 2
    ),
    locked AS MATERIALIZED (
      SELECT h.variant_id, h.scope FROM stock_hold h JOIN ${units} u ON u.variant_id = h.variant_id AND u.scope = h.scope
      ORDER BY h.variant_id, h.scope FOR UPDATE OF h
    )`;
}
