import type { SqlRunner } from "../../db/database.server";

/**
 * Marks claimed rows processed (or skipped), only those `workerId` still holds the lease of. Run in
 * the same transaction as the consumers: a result short of the rows given means a lease was lost
 * to another worker, and the caller must roll back so every event is applied once in effect.
 * `locked_by` is kept: it records which worker processed the row.
 */
export async function completeInboxRows(sql: SqlRunner, workerId: string, rows: { processed: string[]; skipped?: string[] }): Promise<number> {
  const skipped = rows.skipped ?? [];
  const completed = await sql.query(
    `UPDATE webhook_inbox
     SET state = CASE WHEN id = ANY($3::bigint[]) THEN 'skipped'::"WebhookState" ELSE 'processed'::"WebhookState" END,
         processed_at = now(), locked_until = NULL, last_error = NULL
     WHERE id = ANY($2::bigint[] || $3::bigint[]) AND state = 'processing' AND locked_by = $1
     RETURNING id`,
    [workerId, rows.processed, skipped],
  );
  return completed.length;
}
