import type { SqlRunner } from "../db/database.server";
import { httpDestination } from "../destinations/httpDestination.server";
import { log } from "../observability/log.server";
import type { LimiterRegistry } from "../outbound/limiterRegistry.server";
import { standardWebhookHeaders } from "../outbound/standardWebhooks";
import { OBJECTIVES, type ObjectiveKey } from "./objectives";
import { notifyTargetOf } from "./policy.server";

/** After this many failed deliveries a notification is given up (the incident stays on the dashboard). */
export const MAX_NOTIFICATION_ATTEMPTS = 10;

interface OwedNotification {
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

export interface NotifyDeps {
  sql: SqlRunner;
  encryptionKey: string;
  registry: LimiterRegistry;
  now: () => Date;
  fetch?: typeof fetch;
}

/**
 * Sends owed incident notifications to each shop's URL through the outbound layer (its own
 * limiter and circuit per shop), signed with Standard Webhooks; `webhook-id` is stable per
 * incident and event so a receiver drops a repeat. The body also carries `text` for
 * Slack-compatible incoming webhooks.
 */
export async function deliverNotifications(deps: NotifyDeps, limit = 50): Promise<{ sent: number; failed: number }> {
  const owed = await deps.sql.query<OwedNotification>(
    `SELECT n.id::text, n.incident_id::text AS "incidentId", n.shop_id AS "shopId", n.event, i.objective, i.threshold, i.worst_value AS "worstValue",
            i.opened_at AS "openedAt", i.resolved_at AS "resolvedAt", s.domain AS "shopDomain"
     FROM slo_notification n JOIN slo_incident i ON i.id = n.incident_id JOIN shop s ON s.id = n.shop_id
     JOIN slo_policy p ON p.shop_id = n.shop_id AND p.notify_url IS NOT NULL
     WHERE n.sent_at IS NULL AND n.attempts < $1 ORDER BY n.id LIMIT $2`,
    [MAX_NOTIFICATION_ATTEMPTS, limit],
  );
  let sent = 0;
  let failed = 0;
  for (const notification of owed) {
    try {
      const target = await notifyTargetOf(deps.sql, deps.encryptionKey, notification.shopId);
      if (!target) continue;
      const objective = OBJECTIVES[notification.objective];
      const text =
        notification.event === "opened"
          ? `Lockstep: ${objective.label} breached for ${notification.shopDomain} (${notification.worstValue} ${objective.unit} > ${notification.threshold} ${objective.unit})`
          : `Lockstep: ${objective.label} recovered for ${notification.shopDomain}`;
      const body = JSON.stringify({
        type: `slo.incident.${notification.event}`,
        text,
        incident: {
          id: notification.incidentId,
          shop: notification.shopDomain,
          objective: notification.objective,
          threshold: notification.threshold,
          worstValue: notification.worstValue,
          openedAt: new Date(notification.openedAt).toISOString(),
          resolvedAt: notification.resolvedAt ? new Date(notification.resolvedAt).toISOString() : null,
        },
      });
      const id = `slo_${notification.incidentId}_${notification.event}`;
      const client = httpDestination(
        { id: `alerts-${notification.shopId}`, kind: "alerts", baseUrl: target.url, ratePerSecond: 1, burst: 5, concurrency: 1, timeoutMs: 10_000, retry: { maxAttempts: 2 } },
        { registry: deps.registry, fetch: deps.fetch },
      );
      await client.send("", undefined, { rawBody: body, idempotencyKey: id, headers: standardWebhookHeaders(target.secret, id, deps.now(), body) }).catch((error: unknown) => {
        // A 2xx with a plain-text body (Slack answers "ok") is a delivery.
        if (!(error instanceof SyntaxError)) throw error;
      });
      await deps.sql.query(`UPDATE slo_notification SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1::bigint`, [notification.id, deps.now()]);
      sent++;
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      await deps.sql.query(`UPDATE slo_notification SET attempts = attempts + 1, last_error = $2 WHERE id = $1::bigint`, [notification.id, message.slice(0, 1000)]);
      log.warn("incident notification failed", { notificationId: notification.id, error: message });
    }
  }
  return { sent, failed };
}
