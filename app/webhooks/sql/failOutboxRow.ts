import type { SqlRunner } from "../../db/database.server";

/**
 * An owed call whose subscriber failed: due again at `retryAt`, or a dead letter when `retryAt` is
 * null (attempts spent). Only if `workerId` still holds the lease; returns the new state, or null.
 */
export async function failOutboxRow(sql: SqlRunner, input: { id: string; workerId: string; error: string; retryAt: Date | null }): Promise<"pending" | "dead" | null> {
  const rows = await sql.query<{ state: "pending" | "dead" }>(
    `UPDATE webhook_outbox
     SET state = CASE WHEN $4::timestamptz IS NULL THEN 'dead'::"WebhookState" ELSE 'pending'::"WebhookState" END,
         run_at = COALESCE($4::timestamptz, run_at), dead_at = CASE WHEN $4::timestamptz IS NULL THEN now() END,
         last_error = $3, locked_by = NULL, locked_until = NULL
     WHERE id = $1::bigint AND state = 'processing' AND locked_by = $2
     RETURNING state::text AS state`,
    [input.id, input.workerId, input.error, input.retryAt?.toISOString() ?? null],
  );
  return rows[0]?.state ?? null;
}
