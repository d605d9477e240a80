import type { SqlRunner } from "../../../db/database.server";

/** Up to `limit` chunks of one file of a snapshot after position `after`, in order. */
export async function readSnapshotChunks(sql: SqlRunner, snapshotId: string, format: string, after: number, limit: number): Promise<Array<{ seq: number; data: Uint8Array }>> {
  return sql.query<{ seq: number; data: Uint8Array }>(
    `SELECT seq, data FROM feed_snapshot_chunk WHERE snapshot_id = $1::bigint AND format = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
    [snapshotId, format, after, limit],
  );
}
