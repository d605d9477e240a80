import { type Clock, type Random } from "../config/clock";
import { isTransientNetworkError, outboundDetails, unavailableError } from "./errors";

export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 30_000 };

/**
 * How long to wait before attempt `attempt + 1`. "Full jitter" exponential backoff spreads the
 * retries of many workers; a wait the other side asked for (Retry-After, reset headers) is a floor,
 * never shortened by jitter, so we do not come back before the window has reset.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: Random, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return jittered;
  // A little jitter on top of the server's wait so a fleet does not come back in lockstep.
  return Math.ceil(retryAfterMs) + Math.floor(random() * Math.min(policy.baseDelayMs, ceiling));
}

/**
 * A queue row's next attempt after `attempts` failed ones (the webhook inbox and outbox, order
 * events): `now` plus the backoff, or null once the attempts are spent (a dead letter).
 */
export function nextAttemptAt(policy: RetryPolicy, attempts: number, now: Date, random: Random): Date | null {
  if (attempts >= policy.maxAttempts) return null;
  return new Date(now.getTime() + retryDelay(policy, attempts, random));
}

/**
 * `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds
 * from `nowMs`, or undefined when the header is missing or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export interface RetryContext {
  policy: RetryPolicy;
  clock: Clock;
  random: Random;
  /** Told about every retry, e.g. to count it in the metrics. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the attempts are spent. Only errors marked
 * retryable (throttles, 5xx, network failures) are tried again; anything else surfaces at once.
 */
export async function withRetries<T>(context: RetryContext, attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      const details = outboundDetails(error);
      const retryable = details ? details.retryable : isTransientNetworkError(error);
      if (!retryable || attemptNumber >= context.policy.maxAttempts) {
        if (!details && retryable) throw unavailableError("network", `gave up after ${attemptNumber} attempts: ${String(error)}`);
        throw error;
      }
      const delayMs = retryDelay(context.policy, attemptNumber, context.random, details?.retryAfterMs);
      context.onRetry?.({ attempt: attemptNumber, delayMs, error });
      await context.clock.sleep(delayMs);
    }
  }
}
