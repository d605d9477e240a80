import type { ItemKind } from "../types";

/**
 * A timestamp as the ISO text the pipeline sends (`2026-01-01T00:00:00.000Z`), made by the database:
 * parsing a Date per row and printing it again cost more than the rest of a price row's decoding.
 */
export function isoText(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * Which `change_latest` rows (alias `l`) a page of a change range reads: the range's shop, kind and
 * price list (price items only; the others are kept under `default`), after the variant `after`,
 * last changed after the range's start `from`. One fragment for the page (`coalesceChanges`) and its
 * bounds (`coalescedPageEnd`), so the two cannot select different items; each argument is the SQL of
 * a parameter.
 */
export function latestInRange(of: { shopId: string; kind: string; priceList: string; after: string; from: string }): string {
  return `l.shop_id = ${of.shopId} AND l.kind = ${of.kind} AND l.price_list = CASE WHEN ${of.kind} = 'price' THEN ${of.priceList} ELSE 'default' END AND l.variant_id > ${of.after}::uuid AND l.change_id > ${of.from}::bigint`;
}

/**
 * Whether a `change_latest` row (alias `l`) changed inside the range (`from`, `to`]: its newest
 * change is in it, or (the rare case, read from the change log) it changed in the range and again
 * since. With `latestInRange`, the items of a run's delta; each argument is the SQL of a parameter.
 */
export function changedInRange(of: { from: string; to: string }): string {
  return `(l.change_id <= ${of.to}::bigint OR EXISTS (
           SELECT 1 FROM change_record
           WHERE shop_id = l.shop_id AND kind = l.kind AND price_list = l.price_list AND variant_id = l.variant_id AND id > ${of.from}::bigint AND id <= ${of.to}::bigint
         ))`;
}

/**
 * The version of a variant's current state as an item of `kind` (SQL, `variantId` the variant's id
 * expression): a stock item's is its levels' newest source time, the others' the variant's. Full runs
 * and the retry set read current state, so they label it this way, as a delta would.
 */
export function currentVersion(kind: ItemKind, variantId: string): string {
  return kind === "stock"
    ? `(SELECT max(l.source_updated_at) FROM inventory_level l WHERE l.variant_id = ${variantId})`
    : `(SELECT source_updated_at FROM variant WHERE id = ${variantId})`;
}

/** Each column of an item row, and the kinds whose items carry it. */
const COLUMNS: Array<[sql: string, kinds: ItemKind[]]> = [
  [`v.sku`, ["catalog", "price", "stock"]],
  [`v.external_id AS "variantExternalId"`, ["catalog"]],
  [`v.title`, ["catalog"]],
  // On a named price list (a destination's `priceList`), its current version's amounts, else the store's.
  [`CASE WHEN pl.amount IS NOT NULL THEN pl.amount ELSE v.price::text END AS price`, ["catalog", "price"]],
  [`p.external_id AS "productExternalId"`, ["catalog"]],
  [`p.title AS "productTitle"`, ["catalog"]],
  [`p.status`, ["catalog"]],
  [`s.available`, ["stock"]],
  [`s.locations`, ["stock"]],
  [`CASE WHEN pl.amount IS NOT NULL THEN pl.compare_at ELSE v.compare_at_price::text END AS "compareAtPrice"`, ["catalog"]],
  [`v.gtin`, ["catalog"]],
  [`v.mpn`, ["catalog"]],
  [`p.description`, ["catalog"]],
  [`p.url_path AS "urlPath"`, ["catalog"]],
  [`p.image_url AS "imageUrl"`, ["catalog"]],
  [`p.brand`, ["catalog"]],
  [`p.condition`, ["catalog"]],
];

/**
 * The current state of a variant as the pipeline pushes an item of `kind`, from the joins below;
 * a column the kind's item does not carry is left out, not sent as a null: the pg driver spends
 * per column of every row (a price page of 22 columns, 16 of them null, decoded ~30 % slower than
 * one of its 6; bench/batching).
 */
export function itemColumns(kind: ItemKind): string {
  return COLUMNS.flatMap(([sql, kinds]) => (kinds.includes(kind) ? [sql] : [])).join(", ");
}

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
 * `variantRange` (SQL of a page's first-excluded and last variant id, when its bounds are known)
 * joins the variants of that range instead: the planner sees how many the range holds and reads a
 * dense page's variants in one range scan (a third of the page's time went to the probes), a sparse
 * one's still by id.
 */
export function itemJoins(kind: string, priceList = "'default'", variantRange?: { after: string; until: string }): string {
  const variants = variantRange
    ? `LEFT JOIN variant v ON v.id = c.variant_id AND v.id > ${variantRange.after} AND v.id <= ${variantRange.until}`
    : `LEFT JOIN LATERAL (SELECT id, shop_id, product_id, sku, external_id, title, price, compare_at_price, gtin, mpn FROM variant WHERE id = c.variant_id LIMIT 1) v ON true`;
  return `${variants}
    LEFT JOIN LATERAL (SELECT external_id, title, status, description, url_path, image_url, brand, condition FROM product WHERE id = v.product_id LIMIT 1) p ON ${kind} = 'catalog'
    LEFT JOIN LATERAL (
      SELECT COALESCE(sum(greatest(l.on_hand - l.committed, 0)), 0)::int AS available,
        COALESCE(json_agg(json_build_object('location', loc.external_id, 'available', greatest(l.on_hand - l.committed, 0)) ORDER BY loc.external_id), '[]'::json) AS locations
      FROM inventory_level l JOIN location loc ON loc.id = l.location_id AND loc.active
      WHERE l.variant_id = v.id
    ) s ON ${kind} = 'stock'
    LEFT JOIN LATERAL (
      SELECT amount::text AS amount, compare_at::text AS compare_at FROM price_version
      -- Gated inside: a stock page or one on the store's own list never probes price_version (a one-time filter).
      WHERE ${kind} IN ('catalog', 'price') AND ${priceList} <> 'default'
        AND shop_id = v.shop_id AND variant_id = c.variant_id AND list = ${priceList} AND superseded_at IS NULL AND valid_from <= now() AND (valid_to IS NULL OR valid_to > now())
      ORDER BY valid_from DESC LIMIT 1
    ) pl ON true`;
}

/**
 * One row of a page: the item's state (null sku: the variant is gone) and what was folded into it;
 * the columns its kind does not carry are absent (`itemColumns`), so they are optional here.
 */
export interface ItemRow {
  variantId: string;
  changeId: string;
  /** ISO text (`isoText`), null when the source never said. */
  version: string | null;
  occurredAt: string | null;
  /** Change records folded into this item. */
  changes: number;
  sku: string | null;
  /** Catalog and price items (null when the variant is gone). */
  price?: string | null;
  /** Catalog items. */
  variantExternalId?: string | null;
  title?: string | null;
  productExternalId?: string | null;
  productTitle?: string | null;
  status?: string | null;
  /** Stock items. */
  available?: number | null;
  locations?: Array<{ location: string; available: number }> | null;
  /** Feed attributes (catalog items; null when the platform gave none). */
  compareAtPrice?: string | null;
  gtin?: string | null;
  mpn?: string | null;
  description?: string | null;
  urlPath?: string | null;
  imageUrl?: string | null;
  brand?: string | null;
  condition?: string | null;
}
