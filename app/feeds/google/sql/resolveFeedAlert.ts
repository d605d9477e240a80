import type { SqlRunner } from "../../../db/database.server";

/** Closes the feed's open alert of this kind, if any. */
export async function resolveFeedAlert(sql: SqlRunner, destinationId: string, kind: string, at: Date): Promise<void> {
  await sql.query(`UPDATE feed_alert SET resolved_at = $3 WHERE destination_id = $1 AND kind = $2 AND resolved_at IS NULL`, [destinationId, kind, at.toISOString()]);
}
