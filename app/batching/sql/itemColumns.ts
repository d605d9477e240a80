/**
 * A timestamp as the ISO text the pipeline sends (`2026-01-01T00:00:00.000Z`), made by the database:
 * parsing a Date per row and printing it again cost more than the rest of a price row's decoding.
 */
export function isoText(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** The current state of a variant as the pipeline pushes it, from the joins below (product columns null but for catalog items, levels but for stock items). */
export const ITEM_COLUMNS = `v.sku, v.external_id AS "variantExternalId", v.title,
    CASE WHEN pl.amount IS NOT NULL THEN pl.amount ELSE v.price::text END AS price, p.external_id AS "productExternalId",
    p.title AS "productTitle", p.status, s.available, s.locations,
    CASE WHEN pl.amount IS NOT NULL THEN pl.compare_at ELSE v.compare_at_price::text END AS "compareAtPrice", v.gtin, v.mpn, p.description, p.url_path AS "urlPath", p.image_url AS "imageUrl", p.brand, p.condition`;

/**
 * Variant, product (catalog items only) and summed levels (stock items only) of `c.variant_id`;
 * `kind` is the SQL of the kind, `priceList` the SQL of the destination's price list: on a named
 * list (not `default`), price and catalog items carry that list's current version instead of the
 * variant's price; an item the list holds no price for falls back to the variant's, as BigCommerce
 * price lists fall back to the catalog price. Variant and product are looked up by id, one primary-key probe
 * per item of the page: as plain joins the planner hashes the whole catalog for every page, so a
 * run cost pages × catalog. (`LIMIT 1` keeps each lookup a lookup: PostgreSQL would flatten it
 * back into a join.) The kind goes in the `ON` of a join: a constant-false `ON` skips the lookup
 * for every row, where inside the subquery the levels' aggregate still ran once per item.
 */
export function itemJoins(kind: string, priceList = "'default'"): string {
  return `LEFT JOIN LATERAL (SELECT id, shop_id, product_id, sku, external_id, title, price, compare_at_price, gtin, mpn FROM variant WHERE id = c.variant_id LIMIT 1) v ON true
    LEFT JOIN LATERAL (SELECT external_id, title, status, description, url_path, image_url, brand, condition FROM product WHERE id = v.product_id LIMIT 1) p ON ${kind} = 'catalog'
    LEFT JOIN LATERAL (
      SELECT COALESCE(sum(greatest(l.on_hand - l.committed, 0)), 0)::int AS available,
        COALESCE(json_agg(json_build_object('location', loc.external_id, 'available', greatest(l.on_hand - l.committed, 0)) ORDER BY loc.external_id), '[]'::json) AS locations
      FROM inventory_level l JOIN location loc ON loc.id = l.location_id AND loc.active
      WHERE l.variant_id = v.id
    ) s ON ${kind} = 'stock'
    LEFT JOIN LATERAL (
      SELECT amount::text AS amount, compare_at::text AS compare_at FROM price_version
      WHERE shop_id = v.shop_id AND variant_id = c.variant_id AND list = ${priceList} AND superseded_at IS NULL AND valid_from <= now() AND (valid_to IS NULL OR valid_to > now())
      ORDER BY valid_from DESC LIMIT 1
    ) pl ON ${kind} IN ('catalog', 'price') AND ${priceList} <> 'default'`;
}

/** One row of a page: the item's state (null sku: the variant is gone) and what was folded into it. */
export interface ItemRow {
  variantId: string;
  changeId: string;
  /** ISO text (`isoText`), null when the source never said. */
  version: string | null;
  occurredAt: string | null;
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
  /** Feed attributes (catalog items; null when the platform gave none). */
  compareAtPrice: string | null;
  gtin: string | null;
  mpn: string | null;
  description: string | null;
  urlPath: string | null;
  imageUrl: string | null;
  brand: string | null;
  condition: string | null;
}
