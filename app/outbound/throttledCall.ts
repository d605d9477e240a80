import type Bottleneck from "bottleneck";
import { type CircuitBreaker } from "./circuitBreaker";
import { type Clock, type Random } from "./clock";
import { type LimiterMetrics } from "./metrics";
import { type RetryPolicy, withRetries } from "./retryPolicy";

export interface ThrottledCallContext {
  limiter: Bottleneck;
  metrics: LimiterMetrics;
  retry: RetryPolicy;
  clock: Clock;
  random: Random;
  breaker?: CircuitBreaker;
}

/**
 * One outbound call the way every client makes it: each attempt waits its turn in the limiter
 * (weighted by its cost), runs behind the circuit breaker when there is one, and throttles or
 * transient failures are retried with backoff and jitter by the one retry policy.
 */
export function throttledCall<T>(
  context: ThrottledCallContext,
  weight: number,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  const { limiter, metrics, clock } = context;
  return withRetries(
    {
      policy: context.retry,
      clock,
      random: context.random,
      onRetry: () => {
        metrics.retries++;
      },
    },
    async (attemptNumber) => {
      const scheduled = () => {
        const enqueuedAt = clock.now();
        return limiter.schedule({ weight }, async () => {
          metrics.recordQueueWait(clock.now() - enqueuedAt);
          metrics.requests++;
          try {
            return await attempt(attemptNumber);
          } catch (error) {
            if ((error as { code?: string }).code === "outbound_throttled") metrics.throttles++;
            else metrics.failures++;
            throw error;
          }
        });
      };
      return context.breaker ? context.breaker.run(scheduled) : scheduled();
    },
  );
}
