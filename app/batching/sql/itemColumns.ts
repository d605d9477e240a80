/** The current state of a variant as the pipeline pushes it, from the joins below. */
export const ITEM_COLUMNS = `v.sku, v.external_id AS "variantExternalId", v.title, v.price::text AS price, p.external_id AS "productExternalId",
    p.title AS "productTitle", p.status, s.available, s.locations`;

/** Variant, product and (for stock items only: `kind` is the SQL of the kind) the summed levels of `c.variant_id`. */
export function itemJoins(kind: string): string {
  return `LEFT JOIN variant v ON v.id = c.variant_id
    LEFT JOIN product p ON p.id = v.product_id
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
