import type { SqlRunner } from "../../db/database.server";

/**
 * Records activations as done (or skipped) by the worker that holds their lease, with when the store
 * took the price and the lag from the planned instant (the version's valid_from, whatever the
 * retries). A worker whose lease ran out (another took the row) changes nothing: each activation is
 * recorded exactly once. One primary-key probe per row (arrays, not JSON: the planner then never
 * guesses a join over the whole queue).
 */
export async function completeActivations(tx: SqlRunner, workerId: string, done: Array<{ id: string; outcome: string; appliedAt: Date | null; validFrom: Date }>): Promise<string[]> {
  if (done.length === 0) return [];
  const rows = await tx.query<{ id: string }>(
    `UPDATE price_activation a
     SET state = CASE WHEN d.applied_at IS NULL THEN 'skipped' ELSE 'done' END, outcome = d.outcome, applied_at = d.applied_at,
         lag_ms = CASE WHEN d.applied_at IS NULL THEN NULL ELSE greatest(0, round(extract(epoch FROM d.applied_at - d.valid_from) * 1000))::int END,
         locked_by = NULL, locked_until = NULL, last_error = NULL
     FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS d(id, outcome, applied_at, valid_from)
     WHERE a.id = d.id AND a.state = 'processing' AND a.locked_by = $1
     RETURNING a.id::text AS id`,
    [workerId, done.map((d) => d.id), done.map((d) => d.outcome), done.map((d) => d.appliedAt?.toISOString() ?? null), done.map((d) => new Date(d.validFrom).toISOString())],
  );
  return rows.map((row) => row.id);
}
