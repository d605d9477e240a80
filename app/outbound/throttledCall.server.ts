import type Bottleneck from "bottleneck";
import { type Breaker } from "./circuitBreaker";
import { type Clock, type Random } from "../config/clock";
import { type LimiterMetrics } from "./metrics.server";
import { type RetryPolicy, withRetries } from "./retryPolicy";

export interface ThrottledCallContext {
  limiter: Bottleneck;
  metrics: LimiterMetrics;
  retry: RetryPolicy;
  clock: Clock;
  random: Random;
  breaker?: Breaker;
}

/**
 * One outbound call the way every client makes it: each attempt waits its turn in the limiter
 * (weighted by its cost), runs behind the circuit breaker when there is one, and throttles or
 * transient failures are retried with backoff and jitter by the one retry policy. The breaker
 * decides when the turn comes, so that no call that waited in the queue leaves after it opened.
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
      const { breaker } = context;
      const send = async () => {
        metrics.requests++;
        try {
          return await attempt(attemptNumber);
        } catch (error) {
          if ((error as { code?: string }).code === "outbound_throttled") metrics.throttles++;
          else metrics.failures++;
          throw error;
        }
      };
      breaker?.refuseIfOpen();
      const enqueuedAt = clock.now();
      return limiter.schedule({ weight }, () => {
        metrics.recordQueueWait(clock.now() - enqueuedAt);
        return breaker ? breaker.run(send) : send();
      });
    },
  );
}
