// What ingestion records about itself, per process. The observability domain reads `snapshot()`
// (and the inbox lag from the database, shared by all processes) to draw its dashboards.

const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, Infinity];

export interface LatencyHistogram {
  count: number;
  sumMs: number;
  /** Upper bound (ms) -> observations at or below it. */
  buckets: Array<{ leMs: number; count: number }>;
}

function newHistogram(): { counts: number[]; count: number; sumMs: number } {
  return { counts: BUCKETS_MS.map(() => 0), count: 0, sumMs: 0 };
}

function observe(histogram: ReturnType<typeof newHistogram>, ms: number): void {
  const value = Math.max(0, ms);
  histogram.count += 1;
  histogram.sumMs += value;
  histogram.counts[BUCKETS_MS.findIndex((le) => value <= le)]! += 1;
}

export interface WebhookMetricsSnapshot {
  received: number;
  stored: number;
  duplicatesDropped: number;
  rejected: Record<string, number>;
  processed: number;
  skipped: number;
  failedAttempts: number;
  deadLetters: number;
  /** received -> stored (the 200 answer). */
  receivedToStored: LatencyHistogram;
  /** stored -> processed (applied and committed). */
  storedToProcessed: LatencyHistogram;
  /** received -> processed: what a merchant feels. */
  receivedToProcessed: LatencyHistogram;
  /** Attempts it took, for processed rows. */
  attemptsPerEvent: Record<string, number>;
}

export class WebhookMetrics {
  private counters = { received: 0, stored: 0, duplicatesDropped: 0, processed: 0, skipped: 0, failedAttempts: 0, deadLetters: 0 };
  private rejected = new Map<string, number>();
  private attempts = new Map<number, number>();
  private receivedToStored = newHistogram();
  private storedToProcessed = newHistogram();
  private receivedToProcessed = newHistogram();

  received(): void {
    this.counters.received += 1;
  }

  rejectedWith(code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }

  stored(receivedToStoredMs: number): void {
    this.counters.stored += 1;
    observe(this.receivedToStored, receivedToStoredMs);
  }

  duplicateDropped(): void {
    this.counters.duplicatesDropped += 1;
  }

  processed(input: { receivedAt: Date; storedAt: Date; processedAt: Date; attempts: number; skipped: boolean }): void {
    if (input.skipped) this.counters.skipped += 1;
    else this.counters.processed += 1;
    observe(this.storedToProcessed, input.processedAt.getTime() - input.storedAt.getTime());
    observe(this.receivedToProcessed, input.processedAt.getTime() - input.receivedAt.getTime());
    this.attempts.set(input.attempts, (this.attempts.get(input.attempts) ?? 0) + 1);
  }

  failedAttempt(dead: boolean): void {
    this.counters.failedAttempts += 1;
    if (dead) this.counters.deadLetters += 1;
  }

  snapshot(): WebhookMetricsSnapshot {
    const histogram = (h: ReturnType<typeof newHistogram>): LatencyHistogram => ({
      count: h.count,
      sumMs: h.sumMs,
      buckets: BUCKETS_MS.map((leMs, i) => ({ leMs, count: h.counts.slice(0, i + 1).reduce((a, b) => a + b, 0) })),
    });
    return {
      ...this.counters,
      rejected: Object.fromEntries(this.rejected),
      receivedToStored: histogram(this.receivedToStored),
      storedToProcessed: histogram(this.storedToProcessed),
      receivedToProcessed: histogram(this.receivedToProcessed),
      attemptsPerEvent: Object.fromEntries([...this.attempts].map(([k, v]) => [String(k), v])),
    };
  }
}
