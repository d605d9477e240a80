import type { SqlRunner } from "../../db/database.server";

/**
 * Marks a claimed row processed (or skipped), only if `workerId` still holds its lease. Run in the
 * same transaction as the consumers: false means the lease was lost to another worker, and the
 * caller must roll back so the event is applied once in effect.
 * `locked_by` is kept: it records which worker processed the row.
 */
export async function completeInboxRow(sql: SqlRunner, inboxId: string, workerId: string, state: "processed" | "skipped" = "processed"): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE webhook_inbox SET state = $3::"WebhookState", processed_at = now(), locked_until = NULL, last_error = NULL
     WHERE id = $1::bigint AND state = 'processing' AND locked_by = $2
     RETURNING id`,
    [inboxId, workerId, state],
  );
  return rows.length === 1;
}
