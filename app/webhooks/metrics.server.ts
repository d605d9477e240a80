// What ingestion records about itself: recorded into the process's prom-client metrics
// (app/observability/metrics.ts), which /metrics serves summed over every process.
import { type Counter, type Histogram, Registry } from "prom-client";
import { domainOfTopic } from "../observability/latency";
import { createWebhookMetrics, type ProcessMetrics } from "../observability/metrics.server";

export interface WebhookCounts {
  received: number;
  stored: number;
  duplicatesDropped: number;
  rejected: Record<string, number>;
  processed: number;
  skipped: number;
  failedAttempts: number;
  deadLetters: number;
  /** Observations per latency stage (received_to_stored, stored_to_processed, received_to_processed). */
  observedByStage: Record<string, number>;
  /** Processed events by the attempts they took. */
  attemptsPerEvent: Record<string, number>;
}

export class WebhookMetrics {
  /** Without `metrics`: counts of its own (tests, benchmarks), apart from the process's. */
  constructor(
    private readonly metrics = createWebhookMetrics(new Registry()),
    private readonly recordSyncLatency?: ProcessMetrics["recordSyncLatency"],
  ) {}

  received(): void {
    this.metrics.received.inc();
  }

  rejectedWith(code: string): void {
    this.metrics.rejected.inc({ reason: code });
  }

  stored(receivedToStoredMs: number): void {
    this.metrics.stored.inc();
    this.metrics.stage.observe({ stage: "received_to_stored" }, Math.max(0, receivedToStoredMs) / 1000);
  }

  duplicateDropped(): void {
    this.metrics.duplicates.inc();
  }

  processed(input: { receivedAt: Date; storedAt: Date; processedAt: Date; attempts: number; skipped: boolean; shopId?: string; topic?: string; triggeredAt?: Date | null }): void {
    this.metrics.processed.inc({ outcome: input.skipped ? "skipped" : "applied" });
    const domain = input.topic === undefined ? null : domainOfTopic(input.topic);
    if (this.recordSyncLatency && domain && input.shopId && !input.skipped) {
      // From when it happened at the source (the platform's trigger time, else our receipt).
      const occurredAt = input.triggeredAt ?? input.receivedAt;
      this.recordSyncLatency({ shopId: input.shopId, domain, stage: "stored", occurredAt, at: input.storedAt });
      this.recordSyncLatency({ shopId: input.shopId, domain, stage: "applied", occurredAt, at: input.processedAt });
    }
    const seconds = (from: Date) => Math.max(0, input.processedAt.getTime() - from.getTime()) / 1000;
    this.metrics.stage.observe({ stage: "stored_to_processed" }, seconds(input.storedAt));
    this.metrics.stage.observe({ stage: "received_to_processed" }, seconds(input.receivedAt));
    this.metrics.attempts.inc({ attempts: String(input.attempts) });
  }

  failedAttempt(dead: boolean): void {
    this.metrics.failedAttempts.inc();
    if (dead) this.metrics.deadLetters.inc();
  }

  /** This process's counts so far. */
  async counts(): Promise<WebhookCounts> {
    const values = async (metric: Counter<string> | Histogram<string>) => (await metric.get()).values;
    const total = async (counter: Counter<string>, label?: string, value?: string) =>
      (await values(counter)).filter((v) => label === undefined || v.labels[label] === value).reduce((sum, v) => sum + v.value, 0);
    const byLabel = async (counter: Counter<string>, label: string) => Object.fromEntries((await values(counter)).map((v) => [String(v.labels[label]), v.value]));
    const stages = (await values(this.metrics.stage)).filter((v) => (v as { metricName?: string }).metricName === "lockstep_webhook_stage_seconds_count");
    return {
      received: await total(this.metrics.received),
      stored: await total(this.metrics.stored),
      duplicatesDropped: await total(this.metrics.duplicates),
      rejected: await byLabel(this.metrics.rejected, "reason"),
      processed: await total(this.metrics.processed, "outcome", "applied"),
      skipped: await total(this.metrics.processed, "outcome", "skipped"),
      failedAttempts: await total(this.metrics.failedAttempts),
      deadLetters: await total(this.metrics.deadLetters),
      observedByStage: Object.fromEntries(stages.map((v) => [String(v.labels.stage), v.value])),
      attemptsPerEvent: await byLabel(this.metrics.attempts, "attempts"),
    };
  }
}
