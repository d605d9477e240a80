import type { SqlRunner } from "../../db/database.server";

export interface ClaimedDestination {
  id: string;
  cadence: string;
  nextRunAt: Date | null;
  requestedRun: string | null;
  /** The backlog passed the size threshold (the cadence may not have come yet). */
  thresholdReached: boolean;
}

/**
 * Leases one due destination to `owner` until `now + leaseMs`: staff asked for a run, its tick
 * came, or its backlog passed the threshold; and nobody holds it (or its holder's lease ran out:
 * a crashed process). One statement; SKIP LOCKED means two processes never take the same one,
 * the lease means nobody takes it while its run goes on. The inbox's claim, for destinations.
 * `onlyId`: that destination only (an operator's run from the CLI).
 */
export async function claimDueDestination(sql: SqlRunner, owner: string, now: Date, leaseMs: number, onlyId?: string): Promise<ClaimedDestination | undefined> {
  const rows = await sql.query<ClaimedDestination>(
    `WITH candidates AS (
       SELECT d.id,
         d.size_threshold IS NOT NULL AND (
           SELECT count(*) FROM (SELECT 1 FROM change_record c WHERE c.shop_id = d.shop_id AND c.id > d.watermark LIMIT d.size_threshold) backlog
         ) >= d.size_threshold AS threshold_reached
       FROM destination d
       JOIN shop s ON s.id = d.shop_id AND s.install_state = 'installed' -- an uninstalled shop's schedules pause
       WHERE d.enabled AND (d.lease_until IS NULL OR d.lease_until < $2) AND ($4::uuid IS NULL OR d.id = $4::uuid)
     ), next AS (
       SELECT d.id, c.threshold_reached FROM destination d JOIN candidates c ON c.id = d.id
       WHERE d.requested_run IS NOT NULL OR d.next_run_at IS NULL OR d.next_run_at <= $2 OR c.threshold_reached
       ORDER BY d.requested_run IS NULL, d.next_run_at NULLS FIRST
       LIMIT 1
       FOR UPDATE OF d SKIP LOCKED
     )
     UPDATE destination d SET lease_owner = $1, lease_until = $2::timestamptz + make_interval(secs => $3::double precision / 1000)
     FROM next WHERE d.id = next.id
       AND (d.lease_until IS NULL OR d.lease_until < $2)
     RETURNING d.id, d.cadence, d.next_run_at AS "nextRunAt", d.requested_run AS "requestedRun", next.threshold_reached AS "thresholdReached"`,
    [owner, now.toISOString(), leaseMs, onlyId ?? null],
  );
  return rows[0];
}
