import type { SqlRunner } from "../../../db/database.server";

/** Stores one chunk of a snapshot's file at position `seq`. */
export async function insertSnapshotChunk(sql: SqlRunner, chunk: { snapshotId: string; format: string; seq: number; data: Buffer }): Promise<void> {
  await sql.query(`INSERT INTO feed_snapshot_chunk (snapshot_id, format, seq, data) VALUES ($1::bigint, $2, $3, $4)`, [chunk.snapshotId, chunk.format, chunk.seq, chunk.data]);
}
