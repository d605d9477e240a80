import { type Breaker, CircuitBreaker, type CircuitBreakerSettings, type CircuitSnapshot, defaultCircuitBreakerSettings } from "../outbound/circuitBreaker";
import { type Clock, type Random, systemClock } from "../config/clock";
import { rejectedError, throttledError, unavailableError } from "../outbound/errors";
import { type LimiterRegistry } from "../outbound/limiterRegistry.server";
import { type LimiterMetrics, type LimiterMetricsSnapshot } from "../outbound/metrics.server";
import { type RetryPolicy, defaultRetryPolicy, parseRetryAfter } from "../outbound/retryPolicy";
import { SharedCircuitBreaker } from "../outbound/sharedCircuitBreaker.server";
import { perRegistry } from "../outbound/perRegistry";
import { throttledCall } from "../outbound/throttledCall.server";

/** How Lockstep may call one ERP or marketplace: the limits its owner gave us. */
export interface DestinationConfig {
  id: string;
  kind: "erp" | "marketplace" | "alerts";
  baseUrl: string;
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Requests that may go out at once after a quiet period. */
  burst: number;
  /** Requests in flight at once. */
  concurrency: number;
  headers?: Record<string, string>;
  timeoutMs?: number;
  breaker?: Partial<CircuitBreakerSettings>;
  retry?: Partial<RetryPolicy>;
}

export interface DestinationDeps {
  registry: LimiterRegistry;
  clock?: Clock;
  random?: Random;
  fetch?: typeof fetch;
}

export interface DestinationSendOptions {
  /** GET sends no body (read-backs, health checks). */
  method?: "GET" | "POST" | "PUT" | "PATCH";
  /** Sent as `Idempotency-Key`: a retried push is recognised by destinations that support it. */
  idempotencyKey?: string;
  /** Per-request headers (signatures over the exact body). */
  headers?: Record<string, string>;
  /** The body already serialised, when headers sign its exact bytes. */
  rawBody?: string;
  /** Answer the body's bytes (a Buffer) instead of parsed JSON: compressed documents. */
  binary?: boolean;
}

export interface DestinationState {
  id: string;
  kind: DestinationConfig["kind"];
  circuit: CircuitSnapshot;
  queued: number;
  running: number;
  metrics: LimiterMetricsSnapshot;
}

export interface HttpDestination {
  readonly config: DestinationConfig;
  readonly metrics: LimiterMetrics;
  send<T = unknown>(path: string, body: unknown, options?: DestinationSendOptions): Promise<{ status: number; body: T }>;
  state(): Promise<DestinationState>;
}

function bucketSettings(config: DestinationConfig) {
  return {
    maxConcurrent: config.concurrency,
    reservoir: config.burst,
    refill: { perSecond: config.ratePerSecond, maximum: config.burst },
  };
}

const destinations = perRegistry<HttpDestination>();

/**
 * The one client of a destination in this process: a token bucket (rate, burst) and a
 * concurrency cap in the shared limiter registry, `Retry-After` honoured on 429 and 503, and a
 * circuit breaker that stops calling a destination that keeps failing and probes it later (shared
 * by every process when the registry is clustered).
 */
export function httpDestination(config: DestinationConfig, deps: DestinationDeps): HttpDestination {
  const byId = destinations(deps.registry);
  const existing = byId.get(config.id);
  if (existing && JSON.stringify(existing.config) === JSON.stringify(config)) return existing;
  const created = createHttpDestination(config, deps);
  byId.set(config.id, created);
  if (existing) {
    // Staff changed the destination's limits: the limiter (one per destination) takes them on.
    const limiter = deps.registry.limiter({ kind: "destination", id: config.id }, bucketSettings(config));
    void limiter.updateSettings({ maxConcurrent: config.concurrency });
    void deps.registry.setRefill(limiter, bucketSettings(config).refill);
  }
  return created;
}

/** The state of every destination this process calls: circuit, queue, figures (for the dashboard). */
export async function destinationStates(registry: LimiterRegistry): Promise<DestinationState[]> {
  return Promise.all([...destinations(registry).values()].map((destination) => destination.state()));
}

function createHttpDestination(config: DestinationConfig, deps: DestinationDeps): HttpDestination {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const fetchImpl = deps.fetch ?? fetch;
  const target = `destination:${config.id}`;
  const key = { kind: "destination" as const, id: config.id };
  const limiter = deps.registry.limiter(key, bucketSettings(config));
  const metrics = deps.registry.metrics.for(target);
  const timeoutMs = config.timeoutMs ?? 15_000;
  const breakerSettings = { ...defaultCircuitBreakerSettings, ...config.breaker };
  const shared = deps.registry.sharedState(key);
  // Clustered, every process calling the destination shares its circuit; a probe's claim outlasts its call.
  const breaker: Breaker = shared
    ? new SharedCircuitBreaker(target, breakerSettings, clock, shared, { probeClaimMs: timeoutMs + 5_000 })
    : new CircuitBreaker(target, breakerSettings, clock);
  metrics.circuitState = "closed";
  breaker.onChange((snapshot) => {
    metrics.circuitState = snapshot.state;
  });
  const retry = { ...defaultRetryPolicy, ...config.retry };
  const baseUrl = config.baseUrl.replace(/\/$/, "");

  return {
    config,
    metrics,
    async send<T>(path: string, body: unknown, options: DestinationSendOptions = {}) {
      const method = options.method ?? "POST";
      return throttledCall({ limiter, metrics, retry, clock, random, breaker }, 1, async () => {
        let response: Response;
        try {
          response = await fetchImpl(`${baseUrl}${path}`, {
            method,
            headers: {
              "Content-Type": "application/json",
              Accept: "application/json",
              ...(options.idempotencyKey ? { "Idempotency-Key": options.idempotencyKey } : {}),
              ...config.headers,
              ...options.headers,
            },
            body: method === "GET" ? undefined : (options.rawBody ?? JSON.stringify(body)),
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (error) {
          throw unavailableError(target, `${method} ${path} failed: ${String((error as Error).message ?? error)}`);
        }
        const bytes = Buffer.from(await response.arrayBuffer());
        const text = options.binary && response.ok ? "" : bytes.toString("utf8");
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), clock.now());
        if (response.status === 429) {
          // Nobody else in this budget should call before the destination said so either.
          await limiter.updateSettings({ reservoir: 0 });
          throw throttledError(target, `${method} ${path} answered 429`, retryAfterMs ?? 1_000, 429);
        }
        if (response.status >= 500 || response.status === 408) {
          throw unavailableError(target, `${method} ${path} answered ${response.status}`, retryAfterMs, response.status);
        }
        if (!response.ok) {
          throw rejectedError(target, `${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`, response.status);
        }
        if (options.binary) return { status: response.status, body: bytes as T };
        return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
      });
    },
    async state() {
      const counts = limiter.counts();
      await breaker.refresh();
      return {
        id: config.id,
        kind: config.kind,
        circuit: breaker.snapshot(),
        queued: (counts.QUEUED ?? 0) + (counts.RECEIVED ?? 0),
        running: (counts.RUNNING ?? 0) + (counts.EXECUTING ?? 0),
        metrics: metrics.snapshot(),
      };
    },
  };
}
