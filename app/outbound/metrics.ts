import { type CircuitState } from "./circuitBreaker";

/** What each limiter has done: the observability issue exports these as Prometheus series. */
export interface LimiterMetricsSnapshot {
  key: string;
  requests: number;
  failures: number;
  throttles: number;
  retries: number;
  /** Cost points (Shopify) or requests (quota-based APIs) spent. */
  costUsed: number;
  coalesced: number;
  circuitState?: CircuitState;
  queueWait: { count: number; sumMs: number; maxMs: number; bucketsMs: Record<string, number> };
}

// Upper bounds of the queue-wait histogram, in ms; the last bucket is +Inf.
const QUEUE_WAIT_BOUNDS = [5, 25, 100, 250, 1_000, 5_000, 30_000];

export class LimiterMetrics {
  requests = 0;
  failures = 0;
  throttles = 0;
  retries = 0;
  costUsed = 0;
  coalesced = 0;
  circuitState?: CircuitState;
  private readonly waitBuckets = new Array<number>(QUEUE_WAIT_BOUNDS.length + 1).fill(0);
  private waitCount = 0;
  private waitSum = 0;
  private waitMax = 0;

  constructor(readonly key: string) {}

  recordQueueWait(ms: number): void {
    const index = QUEUE_WAIT_BOUNDS.findIndex((bound) => ms <= bound);
    this.waitBuckets[index === -1 ? QUEUE_WAIT_BOUNDS.length : index]! += 1;
    this.waitCount++;
    this.waitSum += ms;
    this.waitMax = Math.max(this.waitMax, ms);
  }

  snapshot(): LimiterMetricsSnapshot {
    const bucketsMs: Record<string, number> = {};
    let cumulative = 0;
    QUEUE_WAIT_BOUNDS.forEach((bound, index) => {
      cumulative += this.waitBuckets[index]!;
      bucketsMs[String(bound)] = cumulative;
    });
    bucketsMs["+Inf"] = cumulative + this.waitBuckets[QUEUE_WAIT_BOUNDS.length]!;
    return {
      key: this.key,
      requests: this.requests,
      failures: this.failures,
      throttles: this.throttles,
      retries: this.retries,
      costUsed: this.costUsed,
      coalesced: this.coalesced,
      circuitState: this.circuitState,
      queueWait: { count: this.waitCount, sumMs: this.waitSum, maxMs: this.waitMax, bucketsMs },
    };
  }
}

/** All limiters' metrics of one process, by limiter key. */
export class OutboundMetrics {
  private readonly byKey = new Map<string, LimiterMetrics>();

  for(key: string): LimiterMetrics {
    let metrics = this.byKey.get(key);
    if (!metrics) {
      metrics = new LimiterMetrics(key);
      this.byKey.set(key, metrics);
    }
    return metrics;
  }

  snapshot(): LimiterMetricsSnapshot[] {
    return [...this.byKey.values()].map((metrics) => metrics.snapshot());
  }
}
