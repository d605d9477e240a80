import type { SqlRunner } from "../../../db/database.server";

/** Deletes the stored files of these snapshots. */
export async function deleteSnapshotChunks(sql: SqlRunner, snapshotIds: string[]): Promise<void> {
  if (snapshotIds.length === 0) return;
  await sql.query(`DELETE FROM feed_snapshot_chunk WHERE snapshot_id = ANY($1::bigint[])`, [snapshotIds]);
}
