import type { SqlRunner } from "../../../db/database.server";

/** The feed's snapshots beyond the newest `keep` ready or published ones, and the discarded ones; never the served one nor one building. */
export async function listPrunableSnapshots(sql: SqlRunner, destinationId: string, keep: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT s.id::text FROM feed_snapshot s
     WHERE s.destination_id = $1
       AND s.id NOT IN (SELECT current_snapshot_id FROM feed WHERE destination_id = $1 AND current_snapshot_id IS NOT NULL)
       AND (s.status = 'discarded' OR s.id NOT IN (
         SELECT id FROM feed_snapshot WHERE destination_id = $1 AND status IN ('ready', 'published') ORDER BY id DESC LIMIT $2
       ))
       AND s.status <> 'building'`,
    [destinationId, keep],
  );
  return rows.map((row) => row.id);
}
