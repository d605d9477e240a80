/** The current state of a variant as the pipeline pushes it, from the joins below. */
export const ITEM_COLUMNS = `v.sku, v.external_id AS "variantExternalId", v.title, v.price::text AS price, p.external_id AS "productExternalId",
    p.title AS "productTitle", p.status, s.available, s.locations`;

/**
 * Variant, product and (for stock items only: `kind` is the SQL of the kind) the summed levels of
 * `c.variant_id`. Variant and product are looked up by id, one primary-key probe per item of the
 * page: as plain joins the planner hashes the whole catalog for every page, so a run cost pages ×
 * catalog. (`LIMIT 1` keeps each lookup a lookup: PostgreSQL would flatten it back into a join.)
 */
export function itemJoins(kind: string): string {
  return `LEFT JOIN LATERAL (SELECT id, product_id, sku, external_id, title, price FROM variant WHERE id = c.variant_id LIMIT 1) v ON true
    LEFT JOIN LATERAL (SELECT external_id, title, status FROM product WHERE id = v.product_id LIMIT 1) p ON true
    LEFT JOIN LATERAL (
      SELECT COALESCE(sum(greatest(l.on_hand - l.committed, 0)), 0)::int AS available,
        COALESCE(json_agg(json_build_object('location', loc.external_id, 'available', greatest(l.on_hand - l.committed, 0)) ORDER BY loc.external_id), '[]'::json) AS locations
      FROM inventory_level l JOIN location loc ON loc.id = l.location_id AND loc.active
      WHERE ${kind} = 'stock' AND l.variant_id = v.id
    ) s ON true`;
}

/** One row of a page: the item's state (null sku: the variant is gone) and what was folded into it. */
export interface ItemRow {
  variantId: string;
  changeId: string;
  version: Date | null;
  occurredAt: Date | null;
  /** Change records folded into this item. */
  changes: number;
  sku: string | null;
  variantExternalId: string;
  title: string;
  price: string;
  productExternalId: string;
  productTitle: string;
  status: string;
  available: number | null;
  locations: Array<{ location: string; available: number }> | null;
}
