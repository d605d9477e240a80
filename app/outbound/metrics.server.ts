import { type Histogram } from "prom-client";
import { type CircuitState } from "./circuitBreaker";

/** What each limiter has done: /metrics exports these (app/observability/metrics.ts), the dashboard shows them. */
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
  queueWait: { count: number; sumMs: number; maxMs: number };
}

export class LimiterMetrics {
  requests = 0;
  failures = 0;
  throttles = 0;
  retries = 0;
  costUsed = 0;
  coalesced = 0;
  circuitState?: CircuitState;
  private waitCount = 0;
  private waitSum = 0;
  private waitMax = 0;

  constructor(
    readonly key: string,
    private readonly queueWaitHistogram?: Histogram<"limiter">,
  ) {}

  recordQueueWait(ms: number): void {
    this.waitCount++;
    this.waitSum += ms;
    this.waitMax = Math.max(this.waitMax, ms);
    this.queueWaitHistogram?.observe({ limiter: this.key }, Math.max(0, ms) / 1000);
  }

  snapshot(): LimiterMetricsSnapshot {
    return {
      key: this.key,
      requests: this.requests,
      failures: this.failures,
      throttles: this.throttles,
      retries: this.retries,
      costUsed: this.costUsed,
      coalesced: this.coalesced,
      circuitState: this.circuitState,
      queueWait: { count: this.waitCount, sumMs: this.waitSum, maxMs: this.waitMax },
    };
  }
}

/** All limiters' metrics of one process, by limiter key; queue waits also go to `queueWaitHistogram` when given. */
export class OutboundMetrics {
  private readonly byKey = new Map<string, LimiterMetrics>();

  constructor(private readonly queueWaitHistogram?: Histogram<"limiter">) {}

  for(key: string): LimiterMetrics {
    let metrics = this.byKey.get(key);
    if (!metrics) {
      metrics = new LimiterMetrics(key, this.queueWaitHistogram);
      this.byKey.set(key, metrics);
    }
    return metrics;
  }

  snapshot(): LimiterMetricsSnapshot[] {
    return [...this.byKey.values()].map((metrics) => metrics.snapshot());
  }
}
