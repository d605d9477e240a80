import type { SqlRunner } from "../db/database.server";
import { type LatencyHistogram, type WebhookMetricsSnapshot } from "../webhooks/metrics";
import { getInboxLag } from "../webhooks/sql/getInboxLag";
import { quantileFromBuckets } from "./quantiles";

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

export interface SyncHealth {
  status: "healthy" | "degraded" | "failing";
  /** Why the status is not healthy, in staff words. */
  reasons: string[];
  webhooks: {
    received: number;
    processed: number;
    duplicatesDropped: number;
    failedAttempts: number;
    /** Milliseconds. */
    answerLatency: Percentiles;
    endToEndLatency: Percentiles;
  };
  inbox: { unprocessed: number; oldestAgeSeconds: number; deadLetters: number } | null;
}

// The product's service levels: the platform waits 5 s for our answer; staff expect changes applied within 2 s.
const ANSWER_P99_BUDGET_MS = 1_000;
const END_TO_END_P95_BUDGET_MS = 2_000;
const INBOX_AGE_BUDGET_SECONDS = 60;

function percentiles(histogram: LatencyHistogram): Percentiles {
  const buckets = histogram.buckets.map((bucket) => ({ le: bucket.leMs, count: bucket.count }));
  const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
  return {
    p50: round(quantileFromBuckets(buckets, 0.5)),
    p95: round(quantileFromBuckets(buckets, 0.95)),
    p99: round(quantileFromBuckets(buckets, 0.99)),
    count: histogram.count,
  };
}

/** How healthy ingestion is right now: what the dashboard shows at a glance. */
export async function getSyncHealth(sql: SqlRunner, metrics: WebhookMetricsSnapshot): Promise<SyncHealth> {
  const reasons: string[] = [];
  let failing = false;
  let inbox: SyncHealth["inbox"] = null;
  try {
    const lag = await getInboxLag(sql);
    inbox = { unprocessed: lag.unprocessed, oldestAgeSeconds: Math.round(lag.oldestAgeMs / 1000), deadLetters: lag.dead };
  } catch {
    failing = true;
    reasons.push("The database does not answer: webhooks are answered 503 and retried by the platforms");
  }
  const answerLatency = percentiles(metrics.receivedToStored);
  const endToEndLatency = percentiles(metrics.receivedToProcessed);
  if (inbox && inbox.oldestAgeSeconds > INBOX_AGE_BUDGET_SECONDS) reasons.push(`The oldest unprocessed webhook waits for ${inbox.oldestAgeSeconds} s`);
  if (inbox && inbox.deadLetters > 0) reasons.push(`${inbox.deadLetters} webhook event(s) failed every attempt and wait for replay`);
  if ((answerLatency.p99 ?? 0) > ANSWER_P99_BUDGET_MS) reasons.push(`Webhook answers are slow: p99 ${answerLatency.p99} ms`);
  if ((endToEndLatency.p95 ?? 0) > END_TO_END_P95_BUDGET_MS) reasons.push(`Changes take long to apply: p95 ${endToEndLatency.p95} ms`);
  return {
    status: failing ? "failing" : reasons.length > 0 ? "degraded" : "healthy",
    reasons,
    webhooks: {
      received: metrics.received,
      processed: metrics.processed,
      duplicatesDropped: metrics.duplicatesDropped,
      failedAttempts: metrics.failedAttempts,
      answerLatency,
      endToEndLatency,
    },
    inbox,
  };
}
