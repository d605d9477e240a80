import type { SqlRunner } from "../../db/database.server";

/**
 * Records a failed attempt in the row's history, then either schedules the next attempt at
 * `retryAt` or, when `retryAt` is null (attempts spent), makes the row a dead letter.
 * Only if `workerId` still holds the lease; returns the new state, or null when it did not.
 */
export async function failInboxRow(
  sql: SqlRunner,
  input: { inboxId: string; workerId: string; attempt: number; error: string; retryAt: Date | null },
): Promise<"pending" | "dead" | null> {
  const rows = await sql.query<{ state: "pending" | "dead" }>(
    `WITH failed AS (
       UPDATE webhook_inbox
       SET state = CASE WHEN $5::timestamptz IS NULL THEN 'dead'::"WebhookState" ELSE 'pending'::"WebhookState" END,
           run_at = COALESCE($5::timestamptz, run_at), dead_at = CASE WHEN $5::timestamptz IS NULL THEN now() END,
           last_error = $4, locked_by = NULL, locked_until = NULL
       WHERE id = $1::bigint AND state = 'processing' AND locked_by = $2
       RETURNING id, state
     ), history AS (
       INSERT INTO webhook_attempt (inbox_id, attempt, worker_id, error, retry_at)
       SELECT id, $3, $2, $4, $5::timestamptz FROM failed
     )
     SELECT state::text AS state FROM failed`,
    [input.inboxId, input.workerId, input.attempt, input.error, input.retryAt?.toISOString() ?? null],
  );
  return rows[0]?.state ?? null;
}
