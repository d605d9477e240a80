import { DEFAULT_POLICY } from "../policy";
import { commitReflected } from "./committedHolds";

// SQL fragments shared by the availability read and the reservation statement, so that what a
// storefront is shown and what a reservation is checked against are the same formula:
//   availableToSell = onHand − committed − reserved − safetyStock   (never below zero)
// per location or pooled over active locations, minus committed holds the platform does not
// reflect yet; preorder / backorder items count virtual stock (limit − sold − reserved) instead.

/** The shop's policy as one row (`policy` CTE), defaults filled in. `shopParam` is e.g. `$1`. */
export function policyCte(shopParam: string): string {
  const d = DEFAULT_POLICY;
  return `policy AS MATERIALIZED (
    SELECT coalesce(p.availability_mode::text, '${d.availabilityMode}') AS mode,
           coalesce(p.default_safety_stock, ${d.defaultSafetyStock}) AS default_safety,
           coalesce(p.oversell_threshold, ${d.oversellThreshold}) AS oversell,
           coalesce(p.stale_after_seconds, ${d.staleAfterSeconds}) AS stale_after,
           coalesce(p.stale_action::text, '${d.staleAction}') AS stale_action,
           coalesce(p.stale_cap_quantity, ${d.staleCapQuantity}) AS stale_cap,
           coalesce(p.low_stock_threshold, ${d.lowStockThreshold}) AS low_stock,
           coalesce(p.cache_ttl_seconds, ${d.cacheTtlSeconds}) AS cache_ttl,
           coalesce(p.reservation_ttl_seconds, ${d.reservationTtlSeconds}) AS reservation_ttl
    FROM (SELECT 1) AS one LEFT JOIN inventory_policy p ON p.shop_id = ${shopParam}::uuid
  )`;
}

/** Which holds count for a scope: the pooled scope counts every physical scope, a location only itself. */
export function holdsInScope(hold: string, scope: string): string {
  return `(${hold}.scope = ${scope} OR (${scope} = 'all' AND ${hold}.scope <> 'virtual'))`;
}

interface PositionInputs {
  /** Expression of the item's variant id. */
  variant: string;
  /** Expression of the scope: 'all', a location id, or 'virtual'. */
  scope: string;
  /** Expressions of what our holds take: units reserved, virtual units sold, pending committed holds (jsonb array). */
  reserved: string;
  sold: string;
  pending: string;
  /** Expression of the current time (timestamptz). */
  now: string;
}

/** Expressions `availableFrom` needs: the item's raw position and how the policy clamps it. */
export interface Clamp {
  /** What is left before clamping: physical `net − safety − reserved − pending`, virtual `limit − sold − reserved`. */
  raw: string;
  virtual: string;
  stale: string;
  staleAction: string;
  staleCap: string;
  lowStock: string;
  oversell: string;
}

/**
 * Available to sell from the raw position: never below zero, the oversell threshold on fresh
 * physical stock, the stale action (cap, hide low stock, or nothing) when the data is stale.
 * Used by the availability read and by the reservation's conditional update, so both clamp alike.
 */
export function availableFrom(c: Clamp): string {
  return `CASE
        WHEN ${c.virtual} THEN greatest(0, ${c.raw})
        WHEN ${c.stale} THEN CASE ${c.staleAction}
          WHEN 'cap' THEN least(greatest(0, ${c.raw}), ${c.staleCap})
          WHEN 'hide_low_stock' THEN CASE WHEN ${c.raw} <= ${c.lowStock} THEN 0 ELSE ${c.raw} END
          ELSE 0 END
        ELSE greatest(0, ${c.raw} + ${c.oversell})
      END`;
}

/**
 * A lateral subquery giving `available`, `raw` (before clamping), `stale`, `updated_at`,
 * `virtual_kind`, `promise_date` of one item in one scope. Needs the `policy` CTE in the statement.
 */
export function stockPosition(p: PositionInputs): string {
  const clamp = { raw: "x.raw", virtual: `${p.scope} = 'virtual'`, stale: "lv.stale", staleAction: "pol.stale_action", staleCap: "pol.stale_cap", lowStock: "pol.low_stock", oversell: "pol.oversell" };
  return `(
    SELECT
      ${availableFrom(clamp)}::int AS available,
      x.raw,
      (${p.scope} <> 'virtual' AND lv.stale) AS stale,
      CASE WHEN ${p.scope} = 'virtual' THEN st.updated_at ELSE lv.updated_at END AS updated_at,
      st.virtual_kind::text AS virtual_kind,
      st.promise_date
    FROM policy pol
    LEFT JOIN inventory_item_setting st ON st.variant_id = ${p.variant}
    CROSS JOIN LATERAL (
      SELECT coalesce(sum(l.on_hand - l.committed - l.safety_stock), 0)::int AS net,
             coalesce(bool_or(l.source_updated_at IS NULL OR l.source_updated_at < ${p.now} - make_interval(secs => pol.stale_after)), false) AS stale,
             max(l.source_updated_at) AS updated_at
      FROM inventory_level l JOIN location loc ON loc.id = l.location_id AND loc.active
      WHERE l.variant_id = ${p.variant} AND ${p.scope} <> 'virtual' AND (${p.scope} = 'all' OR l.location_id::text = ${p.scope})
    ) lv
    CROSS JOIN LATERAL (
      -- A committed hold stops counting once the platform's own numbers include its order (a level
      -- of the item lowered after it; see committedHolds.ts). Same row, same instant: never zero.
      SELECT coalesce(sum((e->>'q')::int), 0)::int AS q
      FROM jsonb_array_elements(${p.pending}) e
      WHERE NOT ${commitReflected(p.variant, "e")}
    ) pq
    CROSS JOIN LATERAL (
      SELECT CASE WHEN ${p.scope} = 'virtual' THEN coalesce(st.virtual_limit, 0) - ${p.sold} - ${p.reserved}
                  ELSE lv.net - coalesce(st.safety_stock, pol.default_safety) - ${p.reserved} - pq.q END AS raw
    ) x
  )`;
}
