import type { SqlRunner } from "../../../db/database.server";
import type { SnapshotRow } from "./snapshotColumns";

/** The snapshot the feed serves now, with when it was published; undefined before its first publish. */
export async function readPublishedSnapshot(sql: SqlRunner, destinationId: string): Promise<(SnapshotRow & { published_at: Date }) | undefined> {
  const rows = await sql.query<SnapshotRow & { published_at: Date }>(
    `SELECT s.id::text AS id, s.run_id::text AS run_id, s.items, s.ready_at, s.xml_bytes::text AS xml_bytes, s.xml_sha256, s.tsv_bytes::text AS tsv_bytes, s.tsv_sha256, f.published_at
     FROM feed f JOIN feed_snapshot s ON s.id = f.current_snapshot_id WHERE f.destination_id = $1`,
    [destinationId],
  );
  return rows[0];
}
