import type { SqlRunner } from "../../db/database.server";
import { commitReflected } from "../../inventory/sql/committedHolds";

export interface ActiveHoldRow {
  id: string;
  key: string;
  lines: { sku: string; quantity: number }[];
  location_id: string | null;
  expires_at: Date | string;
  created_at: Date | string;
  units: number;
}

export interface HeldItemRow {
  sku: string;
  title: string;
  product_title: string;
  scope: string;
  reserved: number;
  /** Committed to orders the platform has not reflected yet. */
  committed_pending: number;
  sold: number;
  next_expiry: Date | string | null;
}

/** Active holds of a shop, soonest expiry first (the admin's reservations page). */
export async function listActiveHolds(sql: SqlRunner, input: { shopId: string; now: Date; limit: number }): Promise<ActiveHoldRow[]> {
  return sql.query<ActiveHoldRow>(
    `SELECT r.id, r.key, r.lines, r.location_id, r.expires_at, r.created_at,
            (SELECT coalesce(sum((l->>'quantity')::int), 0)::int FROM jsonb_array_elements(r.lines) l) AS units
     FROM reservation r
     WHERE r.shop_id = $1::uuid AND r.status = 'active' AND r.expires_at > $2::timestamptz
     ORDER BY r.expires_at, r.id LIMIT $3::int`,
    [input.shopId, input.now, input.limit],
  );
}

/** What our holds take per item and scope, most held first. */
export async function listHeldItems(sql: SqlRunner, input: { shopId: string; now: Date }): Promise<HeldItemRow[]> {
  return sql.query<HeldItemRow>(
    `SELECT v.sku, v.title, p.title AS product_title, h.scope, h.reserved, h.sold,
            (SELECT coalesce(sum((e->>'q')::int), 0)::int FROM jsonb_array_elements(h.pending) e
              WHERE NOT ${commitReflected("h.variant_id", "e")}) AS committed_pending,
            (SELECT min(r.expires_at) FROM reservation r
              WHERE r.shop_id = h.shop_id AND r.status = 'active' AND r.expires_at > $2::timestamptz
                AND r.holds @> jsonb_build_array(jsonb_build_object('v', h.variant_id, 's', h.scope))) AS next_expiry
     FROM stock_hold h JOIN variant v ON v.id = h.variant_id JOIN product p ON p.id = v.product_id
     WHERE h.shop_id = $1::uuid AND (h.reserved > 0 OR h.pending <> '[]'::jsonb OR h.sold > 0)
     ORDER BY h.reserved DESC, v.sku`,
    [input.shopId, input.now],
  );
}
