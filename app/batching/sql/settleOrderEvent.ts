import type { SqlRunner } from "../../db/database.server";

/** Forgets a delivered order event, only while `workerId` still holds its lease. */
export async function completeOrderEvent(sql: SqlRunner, workerId: string, id: string): Promise<boolean> {
  const rows = await sql.query(`DELETE FROM destination_event WHERE id = $2::bigint AND state = 'processing' AND locked_by = $1 RETURNING 1`, [workerId, id]);
  return rows.length === 1;
}

/**
 * An order event whose delivery failed: due again at `retryAt`, or a dead letter when `retryAt` is
 * null (attempts spent, or the receiver refused it). Only while `workerId` holds the lease.
 * `notAnAttempt`: nothing was sent (the destination's circuit is open), so the claim's attempt is given back.
 */
export async function failOrderEvent(sql: SqlRunner, input: { id: string; workerId: string; error: string; retryAt: Date | null; notAnAttempt?: boolean }): Promise<"pending" | "dead" | null> {
  const rows = await sql.query<{ state: "pending" | "dead" }>(
    `UPDATE destination_event
     SET state = CASE WHEN $4::timestamptz IS NULL THEN 'dead'::"WebhookState" ELSE 'pending'::"WebhookState" END,
         run_at = COALESCE($4::timestamptz, run_at), dead_at = CASE WHEN $4::timestamptz IS NULL THEN now() END,
         last_error = $3, locked_by = NULL, locked_until = NULL, attempts = attempts - CASE WHEN $5::boolean THEN 1 ELSE 0 END
     WHERE id = $1::bigint AND state = 'processing' AND locked_by = $2
     RETURNING state::text AS state`,
    [input.id, input.workerId, input.error.slice(0, 2000), input.retryAt?.toISOString() ?? null, input.notAnAttempt ?? false],
  );
  return rows[0]?.state ?? null;
}
