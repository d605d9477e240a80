import { type Clock, type Random, systemClock } from "../../config/clock";
import { rejectedError, throttledError, unavailableError } from "../../outbound/errors";
import { type LimiterRegistry } from "../../outbound/limiterRegistry.server";
import { perRegistry } from "../../outbound/perRegistry";
import { type RetryPolicy, defaultRetryPolicy, parseRetryAfter } from "../../outbound/retryPolicy";
import { throttledCall } from "../../outbound/throttledCall.server";
import { BigCommerceQuotaBudget, type QuotaBudgetOptions, readQuotaHeaders } from "./quotaBudget.server";

export interface BigCommerceClientOptions {
  storeHash: string;
  accessToken: string;
  registry: LimiterRegistry;
  /** Defaults to https://api.bigcommerce.com; the simulator passes its own URL. */
  baseUrl?: string;
  clock?: Clock;
  random?: Random;
  retry?: RetryPolicy;
  quota?: QuotaBudgetOptions;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /**
   * Whether a failure after the request may have reached BigCommerce (timeout, 5xx, dropped
   * connection) can be retried. False for relative adjustments: BigCommerce has no idempotency
   * key, so repeating one could apply it twice. A 429 is always retried: it was not processed.
   */
  retryAmbiguous?: boolean;
}

export interface BigCommerceResponse<T> {
  status: number;
  body: T;
}

export interface BigCommerceClient {
  readonly storeHash: string;
  readonly budget: BigCommerceQuotaBudget;
  request<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, options?: RequestOptions): Promise<BigCommerceResponse<T>>;
  close(): void;
}

const budgets = perRegistry<BigCommerceQuotaBudget>();

function quotaBudgetFor(registry: LimiterRegistry, storeHash: string, clock: Clock, options?: QuotaBudgetOptions): BigCommerceQuotaBudget {
  const byStore = budgets(registry);
  let budget = byStore.get(storeHash);
  if (!budget) {
    budget = new BigCommerceQuotaBudget(registry, storeHash, clock, options);
    byStore.set(storeHash, budget);
  }
  return budget;
}

/** The key a store's API calls are limited (and reported) under. */
export function bigCommerceLimiterTarget(storeHash: string): string {
  return `bigcommerce:${storeHash}`;
}

/**
 * The REST client of one BigCommerce store: requests wait for the store's quota, 429s wait for
 * `X-Rate-Limit-Time-Reset-Ms` and are retried, and every answer's headers re-read the quota.
 */
export function createBigCommerceClient(options: BigCommerceClientOptions): BigCommerceClient {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const target = bigCommerceLimiterTarget(options.storeHash);
  const budget = quotaBudgetFor(options.registry, options.storeHash, clock, options.quota);
  const metrics = options.registry.metrics.for(target);
  const baseUrl = `${(options.baseUrl ?? "https://api.bigcommerce.com").replace(/\/$/, "")}/stores/${options.storeHash}`;
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  return {
    storeHash: options.storeHash,
    budget,
    close: () => budget.close(),
    request<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, requestOptions: RequestOptions = {}) {
      const url = new URL(`${baseUrl}${path}`);
      for (const [key, value] of Object.entries(requestOptions.query ?? {})) {
        if (value !== undefined) url.searchParams.set(key, String(value));
      }
      const retryAmbiguous = requestOptions.retryAmbiguous ?? (method === "GET" || method === "PUT");
      return budget.whileWaiting(() =>
        throttledCall(
          { limiter: budget.limiter, metrics, retry: options.retry ?? defaultRetryPolicy, clock, random },
          1,
          async () => {
            let response: Response;
            budget.requestStarting();
            try {
              response = await fetchImpl(url, {
                method,
                headers: {
                  "X-Auth-Token": options.accessToken,
                  Accept: "application/json",
                  ...(requestOptions.body === undefined ? {} : { "Content-Type": "application/json" }),
                },
                body: requestOptions.body === undefined ? undefined : JSON.stringify(requestOptions.body),
                signal: AbortSignal.timeout(timeoutMs),
              });
            } catch (error) {
              await budget.noAnswer();
              if (retryAmbiguous) throw error;
              throw rejectedError(target, `${method} ${path} may or may not have been applied: ${String(error)}`, undefined, { ambiguous: true });
            }
            const arrivedAt = clock.now();
            const quota = readQuotaHeaders(response.headers);
            const text = await response.text();
            if (response.status === 429) {
              const waitMs = quota?.timeResetMs ?? parseRetryAfter(response.headers.get("retry-after"), clock.now()) ?? 1_000;
              await budget.exhausted(quota, waitMs, arrivedAt);
              throw throttledError(target, `${method} ${path} answered 429`, waitMs, 429);
            }
            if (quota) await budget.sync(quota, arrivedAt);
            metrics.costUsed += 1;
            if (response.status >= 500) {
              const message = `${method} ${path} answered ${response.status}`;
              if (!retryAmbiguous) throw rejectedError(target, `${message}; not retried, it may have been applied`, response.status, { ambiguous: true });
              throw unavailableError(target, message, parseRetryAfter(response.headers.get("retry-after"), clock.now()), response.status);
            }
            if (!response.ok) {
              throw rejectedError(target, `${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`, response.status, {
                body: safeJson(text),
              });
            }
            return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
          },
        ),
      );
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
