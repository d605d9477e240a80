import type { SqlRunner } from "../../../db/database.server";
import { SNAPSHOT_COLUMNS, type SnapshotRow } from "./snapshotColumns";

/** The ready (or published) snapshot a run built, its last attempt's. */
export async function findRunSnapshot(sql: SqlRunner, destinationId: string, runId: string): Promise<SnapshotRow | undefined> {
  const rows = await sql.query<SnapshotRow>(
    `SELECT ${SNAPSHOT_COLUMNS} FROM feed_snapshot WHERE destination_id = $1 AND run_id = $2::bigint AND status IN ('ready', 'published') ORDER BY id DESC LIMIT 1`,
    [destinationId, runId],
  );
  return rows[0];
}
