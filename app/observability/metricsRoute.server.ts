import { timingSafeEqual, createHash } from "node:crypto";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import type { Router } from "../http/router.server";
import type { LatencyHistogram } from "../webhooks/metrics";
import { getInboxLag } from "../webhooks/sql/getInboxLag";
import { writeOutboundMetrics } from "./outboundMetrics";
import { PrometheusText } from "./prometheus";

/** `GET /metrics` in Prometheus' format; asks for `Authorization: Bearer $METRICS_TOKEN` when one is set. */
export function registerMetricsRoute(router: Router, context: AppContext): void {
  router.on("GET", "/metrics", async ({ req, res }) => {
    requireMetricsToken(context.config.metricsToken, req.headers.authorization);
    const body = (await collectMetrics(context)).toString();
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" });
    res.end(body);
  });
}

export function requireMetricsToken(expected: string | undefined, authorization: string | undefined): void {
  if (!expected) return;
  const given = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? "";
  const digest = (value: string) => createHash("sha256").update(value).digest();
  if (!timingSafeEqual(digest(given), digest(expected))) {
    throw new LockstepError("invalid_token", "Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`");
  }
}

function seconds(histogram: LatencyHistogram) {
  return {
    buckets: histogram.buckets.map((bucket) => ({ le: bucket.leMs / 1000, count: bucket.count })),
    sum: histogram.sumMs / 1000,
    count: histogram.count,
  };
}

export async function collectMetrics(context: AppContext): Promise<PrometheusText> {
  const text = new PrometheusText();
  const webhooks = context.webhooks.metrics.snapshot();
  text
    .counter("lockstep_webhooks_received_total", "Webhook deliveries received by this process", [{ value: webhooks.received }])
    .counter("lockstep_webhooks_stored_total", "Webhook deliveries durably stored (answered 200)", [{ value: webhooks.stored }])
    .counter("lockstep_webhooks_duplicates_total", "Deliveries dropped as duplicates (delivery id or event id)", [{ value: webhooks.duplicatesDropped }])
    .counter(
      "lockstep_webhooks_rejected_total",
      "Deliveries refused, by reason",
      Object.entries(webhooks.rejected).map(([reason, value]) => ({ labels: { reason }, value })),
    )
    .counter("lockstep_webhooks_processed_total", "Events applied by this process's workers", [
      { labels: { outcome: "applied" }, value: webhooks.processed },
      { labels: { outcome: "skipped" }, value: webhooks.skipped },
    ])
    .counter("lockstep_webhooks_failed_attempts_total", "Processing attempts that failed", [{ value: webhooks.failedAttempts }])
    .counter("lockstep_webhooks_dead_letters_total", "Events that became dead letters in this process", [{ value: webhooks.deadLetters }])
    .histogram("lockstep_webhook_stage_seconds", "Webhook latency by stage: received to stored (the 200), stored to processed, received to processed", [
      { labels: { stage: "received_to_stored" }, ...seconds(webhooks.receivedToStored) },
      { labels: { stage: "stored_to_processed" }, ...seconds(webhooks.storedToProcessed) },
      { labels: { stage: "received_to_processed" }, ...seconds(webhooks.receivedToProcessed) },
    ]);

  try {
    const lag = await getInboxLag(context.db.sql);
    text
      .gauge("lockstep_inbox_unprocessed", "Inbox rows waiting to be processed (all processes)", [{ value: lag.unprocessed }])
      .gauge("lockstep_inbox_oldest_age_seconds", "Age of the oldest unprocessed inbox row", [{ value: lag.oldestAgeMs / 1000 }])
      .gauge("lockstep_inbox_dead_letters", "Dead letters waiting for replay", [{ value: lag.dead }])
      .gauge("lockstep_database_up", "1 when the database answered this scrape", [{ value: 1 }]);
  } catch {
    text.gauge("lockstep_database_up", "1 when the database answered this scrape", [{ value: 0 }]);
  }

  writeOutboundMetrics(text, context.outbound.metrics.snapshot());

  const reserving = context.stock.reservations.queueStats();
  text
    .counter("lockstep_reservation_calls_total", "Reservation statement calls (a batch is one call)", [{ value: reserving.calls }])
    .counter("lockstep_reservation_batches_total", "Reservation batches: requests that arrived together, one transaction", [{ value: reserving.batches }])
    .counter("lockstep_reservation_batched_requests_total", "Reservation requests that ran in a batch", [{ value: reserving.batchedRequests }])
    .counter("lockstep_reservation_reruns_total", "Reservation requests run again, by reason", [
      { labels: { reason: "batch_failed" }, value: reserving.ranAloneAfterBatch },
      { labels: { reason: "deadlock_or_duplicate" }, value: reserving.retried },
      { labels: { reason: "stock_moved" }, value: reserving.replanned },
    ])
    .counter("lockstep_reservation_dropped_total", "Reservation requests never run, by reason", [
      { labels: { reason: "queue_full" }, value: reserving.refusedBusy },
      { labels: { reason: "caller_gone" }, value: reserving.abandoned },
    ]);

  const memory = process.memoryUsage();
  text
    .gauge("lockstep_process_uptime_seconds", "Seconds since this process started serving", [{ value: (Date.now() - context.startedAt.getTime()) / 1000 }])
    .gauge("lockstep_process_resident_memory_bytes", "Resident set size", [{ value: memory.rss }])
    .gauge("lockstep_process_heap_used_bytes", "V8 heap in use", [{ value: memory.heapUsed }]);
  return text;
}
