import type { SqlRunner } from "../../../db/database.server";

/** Marks the feed's snapshots still `building` (an earlier attempt's) discarded; their ids. */
export async function discardBuildingSnapshots(sql: SqlRunner, destinationId: string): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(`UPDATE feed_snapshot SET status = 'discarded' WHERE destination_id = $1 AND status = 'building' RETURNING id::text`, [destinationId]);
  return rows.map((row) => row.id);
}
