import type { SqlRunner } from "../../../db/database.server";

/** The open alerts of a shop's feeds, newest first. */
export async function listOpenFeedAlerts<Kind extends string>(sql: SqlRunner, shopId: string): Promise<Array<{ destinationId: string; kind: Kind; message: string; raisedAt: Date }>> {
  return sql.query(
    `SELECT a.destination_id AS "destinationId", a.kind, a.message, a.raised_at AS "raisedAt"
     FROM feed_alert a JOIN destination d ON d.id = a.destination_id
     WHERE d.shop_id = $1 AND a.resolved_at IS NULL ORDER BY a.id DESC`,
    [shopId],
  );
}
