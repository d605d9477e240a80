import type { SqlRunner } from "../../../db/database.server";

/** Marks one snapshot discarded, unless it was published (a published snapshot stays what it was). */
export async function discardSnapshot(sql: SqlRunner, snapshotId: string): Promise<void> {
  await sql.query(`UPDATE feed_snapshot SET status = 'discarded' WHERE id = $1::bigint AND status IN ('building', 'ready')`, [snapshotId]);
}
