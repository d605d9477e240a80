import type { SqlRunner } from "../../../db/database.server";

/** Opens an alert of this kind for the feed unless one is open already (one statement: two processes raise it once); true when raised. */
export async function raiseFeedAlert(sql: SqlRunner, alert: { destinationId: string; kind: string; message: string; at: Date }): Promise<boolean> {
  const inserted = await sql.query(
    `INSERT INTO feed_alert (destination_id, kind, message, raised_at)
     SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM feed_alert WHERE destination_id = $1 AND kind = $2 AND resolved_at IS NULL)
     RETURNING id`,
    [alert.destinationId, alert.kind, alert.message, alert.at.toISOString()],
  );
  return inserted.length > 0;
}
