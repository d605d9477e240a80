import type { SqlRunner } from "../../db/database.server";
import { holdsInScope, policyCte, stockPosition } from "./stockPosition";

export interface AvailabilityRow {
  sku: string;
  available: number;
  stale: boolean;
  updated_at: Date | string | null;
  bundle: boolean;
  virtual_kind: "preorder" | "backorder" | null;
  promise_date: Date | string | null;
  cache_ttl: number;
}

/**
 * Availability of some items of a shop, in one statement: by SKU (`skus`), or a page of every item
 * ordered by SKU (`after` = last SKU of the previous page). Bundles are the minimum over their
 * components of floor(component available / quantity per bundle).
 */
export async function readAvailability(
  sql: SqlRunner,
  input: { shopId: string; locationId?: string; now: Date } & ({ skus: string[] } | { after?: string; limit: number }),
): Promise<AvailabilityRow[]> {
  const bySku = "skus" in input;
  const items = bySku
    ? `SELECT v.id, v.sku FROM variant v WHERE v.shop_id = $1::uuid AND v.sku = ANY($4::text[])`
    : `SELECT v.id, v.sku FROM variant v WHERE v.shop_id = $1::uuid AND ($4::text IS NULL OR v.sku > $4::text) ORDER BY v.sku LIMIT $5::int`;
  const params: unknown[] = [input.shopId, input.locationId ?? null, input.now, bySku ? input.skus : (input.after ?? null)];
  if (!bySku) params.push(input.limit);
  return sql.query<AvailabilityRow>(
    `WITH ${policyCte("$1")},
    items AS (${items}),
    parts AS (
      SELECT i.id AS item_id, i.sku, coalesce(c.component_variant_id, i.id) AS variant_id,
             coalesce(c.quantity, 1) AS per_item, c.bundle_variant_id IS NOT NULL AS bundled
      FROM items i LEFT JOIN bundle_component c ON c.bundle_variant_id = i.id
    ),
    scoped AS (
      SELECT p.*, CASE WHEN st.virtual_kind IS NOT NULL THEN 'virtual'
                       WHEN pol.mode = 'per_location' AND $2::uuid IS NOT NULL THEN $2::uuid::text
                       ELSE 'all' END AS scope
      FROM parts p CROSS JOIN policy pol LEFT JOIN inventory_item_setting st ON st.variant_id = p.variant_id
    ),
    held AS (
      SELECT s.*, coalesce(h.reserved, 0) AS reserved, coalesce(h.sold, 0) AS sold, coalesce(h.pending, '[]'::jsonb) AS pending
      FROM scoped s LEFT JOIN LATERAL (
        SELECT sum(h.reserved)::int AS reserved, sum(h.sold)::int AS sold,
               (SELECT coalesce(jsonb_agg(e), '[]'::jsonb) FROM stock_hold h2, jsonb_array_elements(h2.pending) e
                 WHERE h2.variant_id = s.variant_id AND ${holdsInScope("h2", "s.scope")}) AS pending
        FROM stock_hold h WHERE h.variant_id = s.variant_id AND ${holdsInScope("h", "s.scope")}
      ) h ON true
    )
    SELECT held.sku,
           min(floor(pos.available::numeric / held.per_item))::int AS available,
           bool_or(pos.stale) AS stale,
           min(pos.updated_at) AS updated_at,
           bool_or(held.bundled) AS bundle,
           CASE WHEN bool_or(held.bundled) THEN NULL ELSE max(pos.virtual_kind) END AS virtual_kind,
           CASE WHEN bool_or(held.bundled) THEN NULL ELSE max(pos.promise_date) END AS promise_date,
           (SELECT cache_ttl FROM policy) AS cache_ttl
    FROM held CROSS JOIN LATERAL ${stockPosition({ variant: "held.variant_id", scope: "held.scope", reserved: "held.reserved", sold: "held.sold", pending: "held.pending", now: "$3::timestamptz" })} pos
    GROUP BY held.item_id, held.sku
    ORDER BY held.sku`,
    params,
  );
}
