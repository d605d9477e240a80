import type { SqlRunner } from "../../../db/database.server";

/**
 * Serves `snapshotId` from now on, in one statement (a fetch sees the old or the new snapshot,
 * never a mix); only a ready or published snapshot of this feed can be served. The snapshot served
 * afterwards: the caller checks it is this one.
 */
export async function publishSnapshot(sql: SqlRunner, destinationId: string, snapshotId: string, at: Date): Promise<string | null> {
  await sql.query(
    `WITH target AS (
       UPDATE feed_snapshot SET status = 'published' WHERE id = $2::bigint AND destination_id = $1 AND status IN ('ready', 'published') RETURNING id
     )
     INSERT INTO feed (destination_id, current_snapshot_id, published_at) SELECT $1, id, $3 FROM target
     ON CONFLICT (destination_id) DO UPDATE SET current_snapshot_id = EXCLUDED.current_snapshot_id, published_at = EXCLUDED.published_at`,
    [destinationId, snapshotId, at.toISOString()],
  );
  return readServedSnapshotId(sql, destinationId);
}

async function readServedSnapshotId(sql: SqlRunner, destinationId: string): Promise<string | null> {
  const [row] = await sql.query<{ current: string | null }>(`SELECT current_snapshot_id::text AS current FROM feed WHERE destination_id = $1`, [destinationId]);
  return row?.current ?? null;
}
