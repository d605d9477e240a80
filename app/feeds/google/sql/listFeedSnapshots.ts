import type { SqlRunner } from "../../../db/database.server";

export interface FeedSnapshotView {
  id: string;
  runId: string;
  /** building | ready | published | discarded */
  status: string;
  items: number;
  xmlBytes: number;
  tsvBytes: number;
  createdAt: Date;
  readyAt: Date | null;
  /** The snapshot the feed serves now. */
  served: boolean;
}

/** A feed's snapshots, newest first, with the one it serves marked. */
export async function listFeedSnapshots(sql: SqlRunner, destinationId: string, limit = 20): Promise<FeedSnapshotView[]> {
  return sql.query<FeedSnapshotView>(
    `SELECT s.id::text AS id, s.run_id::text AS "runId", s.status, s.items, s.xml_bytes::int AS "xmlBytes", s.tsv_bytes::int AS "tsvBytes",
            s.created_at AS "createdAt", s.ready_at AS "readyAt", (f.current_snapshot_id = s.id) IS TRUE AS served
     FROM feed_snapshot s LEFT JOIN feed f ON f.destination_id = s.destination_id
     WHERE s.destination_id = $1::uuid ORDER BY s.id DESC LIMIT $2`,
    [destinationId, limit],
  );
}
