import type { SqlRunner } from "../../../db/database.server";
import { SNAPSHOT_COLUMNS, type SnapshotRow } from "./snapshotColumns";

/** The snapshot published last by a run before `runId` (what rolling that run back returns to). */
export async function findSnapshotBeforeRun(sql: SqlRunner, destinationId: string, runId: string): Promise<SnapshotRow | undefined> {
  const rows = await sql.query<SnapshotRow>(
    `SELECT ${SNAPSHOT_COLUMNS} FROM feed_snapshot WHERE destination_id = $1 AND run_id < $2::bigint AND status = 'published' ORDER BY run_id DESC, id DESC LIMIT 1`,
    [destinationId, runId],
  );
  return rows[0];
}
