import { TokenBucket } from "../../app/outbound/tokenBucket";
import { ChangeFeed, type ChangeListener, type SimulatorClock, realClock } from "../changes";
import { listen, readBody, sendJson } from "../http";

export interface DestinationLimits {
  /** Requests per second the endpoint accepts, with bursts up to `burst`. */
  ratePerSecond: number;
  burst: number;
  /** What a 429 tells the caller to wait, in seconds. */
  retryAfterSeconds?: number;
}

export interface DestinationSimulatorOptions {
  port?: number;
  /** Names the change kinds and the paths it accepts, e.g. "erp" or "marketplace". */
  name: string;
  limits?: DestinationLimits;
  latencyMs?: number;
  /** Share of requests (0..1) answered 503 at random. */
  failureRate?: number;
  random?: () => number;
  clock?: SimulatorClock;
  /** Bearer token required on every request, when set. */
  token?: string;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  body: unknown;
  idempotencyKey?: string;
  receivedAt: number;
}

export interface DestinationStats {
  requests: number;
  accepted: number;
  tooManyRequests: number;
  failed: number;
  /** Repeats of an idempotency key already accepted: answered without recording again. */
  duplicates: number;
}

export type DestinationFault = "http429" | "http503" | "http500" | "http400" | "drop-after-apply";

export interface DestinationSimulator {
  url: string;
  received: ReceivedRequest[];
  /** When each 429 was answered. */
  throttledAt: number[];
  stats(): DestinationStats;
  /** While down, every request gets 503 (a destination that keeps failing). */
  setDown(down: boolean): void;
  setLimits(limits: DestinationLimits): void;
  injectFault(fault: DestinationFault, times?: number): void;
  onChange(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

/**
 * An HTTP endpoint standing in for an ERP or a marketplace: it enforces its own rate limit
 * (429 with Retry-After), can be slow, flaky or down, honours Idempotency-Key, and records
 * every accepted request for tests and the demo.
 */
export async function startDestinationSimulator(options: DestinationSimulatorOptions): Promise<DestinationSimulator> {
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const feed = new ChangeFeed();
  let limits = options.limits;
  let bucket = limits ? new TokenBucket({ capacity: limits.burst, refillPerSecond: limits.ratePerSecond }, clock) : undefined;
  let down = false;
  const faults: DestinationFault[] = [];
  const received: ReceivedRequest[] = [];
  const throttledAt: number[] = [];
  const acceptedKeys = new Map<string, unknown>();
  const stats: DestinationStats = { requests: 0, accepted: 0, tooManyRequests: 0, failed: 0, duplicates: 0 };

  const running = await listen(async (request, response) => {
    stats.requests++;
    const body = await readBody(request);
    if (options.token && request.headers.authorization !== `Bearer ${options.token}`) {
      return sendJson(response, 401, { error: { code: "unauthorized", message: "bad token" } });
    }
    if (faults[0] === "http429") {
      faults.shift();
      stats.tooManyRequests++;
      return sendJson(response, 429, { error: { code: "rate_limited", message: "slow down" } }, { "retry-after": String(limits?.retryAfterSeconds ?? 1) });
    }
    if (bucket && !bucket.tryTake(1)) {
      stats.tooManyRequests++;
      throttledAt.push(clock.now());
      return sendJson(response, 429, { error: { code: "rate_limited", message: "slow down" } }, { "retry-after": String(limits?.retryAfterSeconds ?? 1) });
    }
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const fault = faults.shift();
    if (down || fault === "http503" || (options.failureRate && random() < options.failureRate)) {
      stats.failed++;
      return sendJson(response, 503, { error: { code: "unavailable", message: "try later" } });
    }
    if (fault === "http500") {
      stats.failed++;
      return sendJson(response, 500, { error: { code: "internal", message: "boom" } });
    }
    if (fault === "http400") return sendJson(response, 400, { error: { code: "invalid", message: "rejected payload" } });
    let parsed: unknown;
    try {
      parsed = body === "" ? undefined : JSON.parse(body);
    } catch {
      return sendJson(response, 400, { error: { code: "invalid_json", message: "body is not JSON" } });
    }
    const idempotencyKey = headerValue(request.headers["idempotency-key"]);
    if (idempotencyKey && acceptedKeys.has(idempotencyKey)) {
      stats.duplicates++;
      return sendJson(response, 200, acceptedKeys.get(idempotencyKey));
    }
    const entry: ReceivedRequest = { method: request.method ?? "POST", path: new URL(request.url ?? "/", "http://x").pathname, body: parsed, idempotencyKey, receivedAt: clock.now() };
    received.push(entry);
    stats.accepted++;
    const answer = { accepted: true, id: `${options.name}-${received.length}` };
    if (idempotencyKey) acceptedKeys.set(idempotencyKey, answer);
    feed.emit({ kind: `${options.name}/received`, shop: options.name, occurredAt: new Date(entry.receivedAt).toISOString(), payload: { path: entry.path, body: parsed } });
    if (fault === "drop-after-apply") {
      request.socket.destroy();
      return;
    }
    sendJson(response, 200, answer);
  }, options.port ?? 0);

  return {
    url: running.url,
    received,
    throttledAt,
    stats: () => ({ ...stats }),
    setDown: (value) => {
      down = value;
    },
    setLimits: (value) => {
      limits = value;
      bucket = new TokenBucket({ capacity: value.burst, refillPerSecond: value.ratePerSecond }, clock);
    },
    injectFault: (fault, times = 1) => {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    onChange: (listener) => feed.onChange(listener),
    close: running.close,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
