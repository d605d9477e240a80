import type { SqlRunner } from "../../db/database.server";

/** Replaces one process's published metrics (prom-client JSON) and forgets processes silent for a day. */
export async function publishProcessMetrics(sql: SqlRunner, row: { processId: string; metrics: unknown; startedAt: Date; now: Date }): Promise<void> {
  await sql.query(
    `WITH forgotten AS (DELETE FROM process_metrics WHERE updated_at < $4::timestamptz - interval '1 day')
     INSERT INTO process_metrics (process_id, metrics, started_at, updated_at) VALUES ($1, $2::jsonb, $3, $4)
     ON CONFLICT (process_id) DO UPDATE SET metrics = excluded.metrics, updated_at = excluded.updated_at`,
    [row.processId, JSON.stringify(row.metrics), row.startedAt, row.now],
  );
}

/** The last figures of every other process that published since `since`. */
export async function readPeerMetrics(sql: SqlRunner, options: { exceptProcessId: string; since: Date }): Promise<unknown[]> {
  const rows = await sql.query<{ metrics: unknown }>(`SELECT metrics FROM process_metrics WHERE process_id <> $1 AND updated_at >= $2 ORDER BY process_id`, [
    options.exceptProcessId,
    options.since,
  ]);
  return rows.map((row) => (typeof row.metrics === "string" ? JSON.parse(row.metrics) : row.metrics));
}

/** A process that stops cleanly takes its figures out of the sum at once. */
export async function withdrawProcessMetrics(sql: SqlRunner, processId: string): Promise<void> {
  await sql.query(`DELETE FROM process_metrics WHERE process_id = $1`, [processId]);
}
