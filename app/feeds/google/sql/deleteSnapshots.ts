import type { SqlRunner } from "../../../db/database.server";

/** Deletes these snapshot rows (their chunks first: `deleteSnapshotChunks`). */
export async function deleteSnapshots(sql: SqlRunner, snapshotIds: string[]): Promise<void> {
  if (snapshotIds.length === 0) return;
  await sql.query(`DELETE FROM feed_snapshot WHERE id = ANY($1::bigint[])`, [snapshotIds]);
}
