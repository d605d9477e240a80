import type { SqlRunner } from "../../db/database.server";

/**
 * A push that failed goes back to pending after a backoff (attempt × 1 s, at most a minute), or is a
 * dead letter once `maxAttempts` are spent. Only the lease holder's rows move.
 */
export async function failActivations(tx: SqlRunner, workerId: string, ids: string[], error: string, maxAttempts: number): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(
    `UPDATE price_activation
     SET state = CASE WHEN attempts >= $4 THEN 'dead' ELSE 'pending' END,
         dead_at = CASE WHEN attempts >= $4 THEN now() END,
         run_at = CASE WHEN attempts >= $4 THEN run_at ELSE now() + make_interval(secs => least(60, attempts)) END,
         last_error = $3, locked_by = NULL, locked_until = NULL
     WHERE id = ANY($2::bigint[]) AND state = 'processing' AND locked_by = $1`,
    [workerId, ids, error.slice(0, 2000), maxAttempts],
  );
}
