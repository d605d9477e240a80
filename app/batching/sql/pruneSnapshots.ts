import type { SqlRunner } from "../../db/database.server";

/** Drops the delivery results (snapshots) of a destination's runs older than its retention; the runs and manifests stay. */
export async function pruneSnapshots(sql: SqlRunner, destinationId: string, now: Date): Promise<void> {
  await sql.query(
    `DELETE FROM run_item WHERE run_id IN (
       SELECT r.id FROM destination_run r JOIN destination d ON d.id = r.destination_id
       WHERE r.destination_id = $1::uuid AND r.finished_at < $2::timestamptz - make_interval(days => d.snapshot_retention_days)
     )`,
    [destinationId, now.toISOString()],
  );
}
