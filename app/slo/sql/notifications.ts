import type { SqlRunner } from "../../db/database.server";
import type { ObjectiveKey } from "../objectives";

export interface OwedNotification {
  id: string;
  incidentId: string;
  shopId: string;
  event: "opened" | "resolved";
  objective: ObjectiveKey;
  threshold: number;
  worstValue: number;
  openedAt: Date;
  resolvedAt: Date | null;
  shopDomain: string;
}

/** Notifications not yet sent, of shops with a notification URL, tried fewer than `maxAttempts` times, oldest first. */
export async function listOwedNotifications(sql: SqlRunner, maxAttempts: number, limit: number): Promise<OwedNotification[]> {
  return sql.query<OwedNotification>(
    `SELECT n.id::text, n.incident_id::text AS "incidentId", n.shop_id AS "shopId", n.event, i.objective, i.threshold, i.worst_value AS "worstValue",
            i.opened_at AS "openedAt", i.resolved_at AS "resolvedAt", s.domain AS "shopDomain"
     FROM slo_notification n JOIN slo_incident i ON i.id = n.incident_id JOIN shop s ON s.id = n.shop_id
     JOIN slo_policy p ON p.shop_id = n.shop_id AND p.notify_url IS NOT NULL
     WHERE n.sent_at IS NULL AND n.attempts < $1 ORDER BY n.id LIMIT $2`,
    [maxAttempts, limit],
  );
}

/** A delivery the receiver took: sent, the attempt counted, the last error cleared. */
export async function markNotificationSent(sql: SqlRunner, id: string, at: Date): Promise<void> {
  await sql.query(`UPDATE slo_notification SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1::bigint`, [id, at]);
}

/** A delivery that failed: the attempt counted with its error (cut to 1,000 characters); tried again on the next pass. */
export async function markNotificationFailed(sql: SqlRunner, id: string, error: string): Promise<void> {
  await sql.query(`UPDATE slo_notification SET attempts = attempts + 1, last_error = $2 WHERE id = $1::bigint`, [id, error.slice(0, 1000)]);
}
