import type { SqlRunner } from "../db/database.server";
import { getShopWebhookHealth, type ShopWebhookHealth } from "./sql/getShopWebhookHealth";

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

/** One shop's sync health: its own backlog, dead letters and latencies, never another shop's. */
export interface SyncHealth {
  status: "healthy" | "degraded" | "failing";
  /** Why the status is not healthy, in staff words. */
  reasons: string[];
  /** The figures below cover webhooks received in the last this many minutes. */
  windowMinutes: number;
  webhooks: {
    received: number;
    processed: number;
    failedAttempts: number;
    /** Milliseconds. */
    answerLatency: Percentiles;
    endToEndLatency: Percentiles;
  } | null;
  inbox: { unprocessed: number; oldestAgeSeconds: number; deadLetters: number } | null;
}

// The product's service levels: the platform waits 5 s for our answer; staff expect changes applied within 2 s.
const ANSWER_P99_BUDGET_MS = 1_000;
const END_TO_END_P95_BUDGET_MS = 2_000;
const INBOX_AGE_BUDGET_SECONDS = 60;
const WINDOW_MINUTES = 60;

function percentiles(figures: ShopWebhookHealth["answerMs"], count: number): Percentiles {
  const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
  return { p50: round(figures.p50), p95: round(figures.p95), p99: round(figures.p99), count };
}

/**
 * How healthy one shop's ingestion is right now: what its dashboard shows at a glance. Read from
 * the shop's inbox rows, the same in every process; `/metrics` keeps the deployment-wide figures.
 */
export async function getSyncHealth(sql: SqlRunner, shopId: string, now: Date): Promise<SyncHealth> {
  let figures: ShopWebhookHealth;
  try {
    figures = await getShopWebhookHealth(sql, shopId, now, new Date(now.getTime() - WINDOW_MINUTES * 60_000));
  } catch {
    return {
      status: "failing",
      reasons: ["The database does not answer: webhooks are answered 503 and retried by the platforms"],
      windowMinutes: WINDOW_MINUTES,
      webhooks: null,
      inbox: null,
    };
  }
  const inbox = { unprocessed: figures.unprocessed, oldestAgeSeconds: Math.round(figures.oldestAgeMs / 1000), deadLetters: figures.dead };
  const answerLatency = percentiles(figures.answerMs, figures.stored);
  const endToEndLatency = percentiles(figures.appliedMs, figures.processed);
  const reasons: string[] = [];
  if (inbox.oldestAgeSeconds > INBOX_AGE_BUDGET_SECONDS) reasons.push(`The oldest unprocessed webhook waits for ${inbox.oldestAgeSeconds} s`);
  if (inbox.deadLetters > 0) reasons.push(`${inbox.deadLetters} webhook event(s) failed every attempt and wait for replay`);
  if ((answerLatency.p99 ?? 0) > ANSWER_P99_BUDGET_MS) reasons.push(`Webhook answers are slow: p99 ${answerLatency.p99} ms`);
  if ((endToEndLatency.p95 ?? 0) > END_TO_END_P95_BUDGET_MS) reasons.push(`Changes take long to apply: p95 ${endToEndLatency.p95} ms`);
  return {
    status: reasons.length > 0 ? "degraded" : "healthy",
    reasons,
    windowMinutes: WINDOW_MINUTES,
    webhooks: { received: figures.stored, processed: figures.processed, failedAttempts: figures.failedAttempts, answerLatency, endToEndLatency },
    inbox,
  };
}
