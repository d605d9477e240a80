import type { SqlRunner } from "../../../db/database.server";

/** The marketplace fetched the feed at `at` (what the freshness watchdog and the admin read). */
export async function recordFeedFetch(sql: SqlRunner, destinationId: string, at: Date): Promise<void> {
  await sql.query(`UPDATE feed SET last_fetched_at = $2 WHERE destination_id = $1`, [destinationId, at.toISOString()]);
}
