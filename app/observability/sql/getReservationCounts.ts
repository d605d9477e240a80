import type { SqlRunner } from "../../db/database.server";

export interface ReservationCounts {
  /** Active now. */
  held: number;
  unitsHeld: number;
  /** Age of the oldest active hold, in seconds (0 when none). */
  oldestHoldAgeSeconds: number;
  /** Holds that ended since `since`, by how. */
  committed: number;
  released: number;
  expired: number;
}

/**
 * A shop's (or, shopId null, the deployment's) reservations: what is held now and its oldest age,
 * and how many holds ended since `since` — committed by an order, released, or expired.
 */
export async function getReservationCounts(sql: SqlRunner, options: { shopId: string | null; now: Date; since: Date }): Promise<ReservationCounts> {
  const [row] = await sql.query<{ held: number; units_held: number; oldest: Date | null; committed: number; released: number; expired: number }>(
    `SELECT count(*) FILTER (WHERE status = 'active')::int AS held,
       COALESCE(sum((SELECT sum((h->>'q')::int) FROM jsonb_array_elements(holds) h)) FILTER (WHERE status = 'active'), 0)::int AS units_held,
       min(created_at) FILTER (WHERE status = 'active') AS oldest,
       count(*) FILTER (WHERE status = 'committed' AND committed_at >= $2)::int AS committed,
       count(*) FILTER (WHERE status = 'released' AND released_at >= $2)::int AS released,
       count(*) FILTER (WHERE status = 'expired' AND COALESCE(released_at, expires_at) >= $2)::int AS expired
     FROM reservation
     WHERE ($1::uuid IS NULL OR shop_id = $1)
       AND (status = 'active' OR COALESCE(committed_at, released_at, expires_at) >= $2)`,
    [options.shopId, options.since],
  );
  const r = row!;
  return {
    held: r.held,
    unitsHeld: r.units_held,
    oldestHoldAgeSeconds: r.oldest ? Math.max(0, Math.round((options.now.getTime() - new Date(r.oldest).getTime()) / 1000)) : 0,
    committed: r.committed,
    released: r.released,
    expired: r.expired,
  };
}
