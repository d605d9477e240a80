import type { SqlRunner } from "../db/database.server";
import { httpDestination } from "../destinations/httpDestination.server";
import { log } from "../observability/log.server";
import type { LimiterRegistry } from "../outbound/limiterRegistry.server";
import { standardWebhookHeaders } from "../outbound/standardWebhooks";
import { OBJECTIVES } from "./objectives";
import { notifyTargetOf } from "./policy.server";
import { listOwedNotifications, markNotificationFailed, markNotificationSent } from "./sql/notifications";

/** After this many failed deliveries a notification is given up (the incident stays on the dashboard). */
export const MAX_NOTIFICATION_ATTEMPTS = 10;

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
  const owed = await listOwedNotifications(deps.sql, MAX_NOTIFICATION_ATTEMPTS, limit);
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
      await markNotificationSent(deps.sql, notification.id, deps.now());
      sent++;
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      await markNotificationFailed(deps.sql, notification.id, message);
      log.warn("incident notification failed", { notificationId: notification.id, error: message });
    }
  }
  return { sent, failed };
}
