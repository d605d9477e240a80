import type { SqlRunner } from "../../db/database.server";

/**
 * Records activations as done (or skipped) by the worker that holds their lease, with when the store
 * took the price and the lag from the planned instant (the version's valid_from, whatever the retries). A worker whose lease ran out (another took
 * the row) changes nothing: each activation is recorded exactly once.
 */
export async function completeActivations(tx: SqlRunner, workerId: string, done: Array<{ id: string; outcome: string; appliedAt: Date | null }>): Promise<string[]> {
  if (done.length === 0) return [];
  const rows = await tx.query<{ id: string }>(
    `UPDATE price_activation a
     SET state = CASE WHEN d.applied_at IS NULL THEN 'skipped' ELSE 'done' END, outcome = d.outcome, applied_at = d.applied_at,
         lag_ms = CASE WHEN d.applied_at IS NULL THEN NULL ELSE greatest(0, round(extract(epoch FROM d.applied_at - (SELECT pv.valid_from FROM price_version pv WHERE pv.id = a.version_id)) * 1000))::int END,
         locked_by = NULL, locked_until = NULL, last_error = NULL
     FROM json_to_recordset($2::json) AS d(id bigint, outcome text, applied_at timestamptz)
     WHERE a.id = d.id AND a.state = 'processing' AND a.locked_by = $1
     RETURNING a.id::text AS id`,
    [workerId, JSON.stringify(done.map((d) => ({ id: d.id, outcome: d.outcome, applied_at: d.appliedAt?.toISOString() ?? null })))],
  );
  return rows.map((row) => row.id);
}
