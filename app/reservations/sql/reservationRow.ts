/** A `reservation` row as the statements return it (row_to_json: timestamps come back as strings). */
export interface ReservationRow {
  id: string;
  shop_id: string;
  key: string;
  status: "active" | "released" | "expired" | "committed";
  lines: { sku: string; quantity: number }[];
  holds: { v: string; s: string; q: number }[];
  location_id: string | null;
  expires_at: string | Date;
  released_at: string | Date | null;
  release_reason: string | null;
  committed_at: string | Date | null;
  order_external_id: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

/** A shop's SKU whose availability a statement changed. */
export interface ChangedSku {
  shop_id: string;
  sku: string;
}

/**
 * The SKUs whose availability moves when the holds of `heldCte` (variant_id column) change: the
 * items themselves and every bundle made of them.
 */
export function changedSkusOf(heldCte: string): string {
  // Index lookups from the held rows, never a scan of the catalog.
  return `(SELECT json_agg(DISTINCT jsonb_build_object('shop_id', changed.shop_id, 'sku', changed.sku)) FROM (
            SELECT v.shop_id, v.sku FROM ${heldCte} h JOIN variant v ON v.id = h.variant_id
            UNION ALL
            SELECT v.shop_id, v.sku FROM ${heldCte} h JOIN bundle_component b ON b.component_variant_id = h.variant_id JOIN variant v ON v.id = b.bundle_variant_id
          ) changed)`;
}
