import { type IncomingMessage, type ServerResponse } from "node:http";
import { TokenBucket } from "../../app/outbound/tokenBucket";
import { ChangeFeed, type ChangeListener, type SimulatorClock, realClock } from "../changes";
import { listen, readBody, sendJson } from "../http";
import { batchReceiver } from "./batchReceiver";

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
  /** Standard Webhooks secret (`whsec_…`): every POST must carry a valid `webhook-signature`, else 401. */
  signingSecret?: string;
  /** Items one `POST /batches/{kind}` may carry (NetSuite and Business Central cap `$batch` at 100); beyond: 413. */
  maxBatchSize?: number;
  /** Requests handled at once (NetSuite's account-wide concurrency limit); beyond: 429 + Retry-After. */
  maxConcurrent?: number;
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
  /** Requests refused for a missing or wrong Standard Webhooks signature. */
  badSignatures: number;
  /** Most requests it was handling at one moment. */
  mostConcurrent: number;
}

/** One item of a batch as the receiver keeps it: the pipeline's pushed item (sku plus the kind's fields). */
export type HeldItem = { sku: string } & Record<string, unknown>;

/** A manifest posted after a run, with whether its HMAC checked out against the signing secret. */
export interface ReceivedManifest {
  manifest: unknown;
  signature: string;
  verified: boolean;
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
  /** Batches carrying these SKUs answer them `rejected` with the reason (and apply the rest) until cleared. */
  rejectItems(reasons: Record<string, string>): void;
  clearRejections(): void;
  /** What it holds for a SKU of a kind (the last item applied), as `GET /items/{kind}?sku=` serves it. */
  held(kind: string, sku: string): HeldItem | undefined;
  /** How many times an item for this SKU was applied: 1 after any number of resends of one batch. */
  appliedCount(kind: string, sku: string): number;
  manifests: ReceivedManifest[];
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
  const stats: DestinationStats = { requests: 0, accepted: 0, tooManyRequests: 0, failed: 0, duplicates: 0, badSignatures: 0, mostConcurrent: 0 };
  const receiver = batchReceiver(options);
  const manifests: ReceivedManifest[] = [];
  let inFlight = 0;

  const running = await listen(async (request, response) => {
    inFlight++;
    stats.mostConcurrent = Math.max(stats.mostConcurrent, inFlight);
    try {
      await answer(request, response);
    } finally {
      inFlight--;
    }
  }, options.port ?? 0);

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    stats.requests++;
    const body = await readBody(request);
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (options.token && request.headers.authorization !== `Bearer ${options.token}`) {
      return sendJson(response, 401, { error: { code: "unauthorized", message: "bad token" } });
    }
    if (options.maxConcurrent !== undefined && inFlight > options.maxConcurrent) {
      stats.tooManyRequests++;
      throttledAt.push(clock.now());
      return sendJson(response, 429, { error: { code: "concurrency_limit_exceeded", message: `at most ${options.maxConcurrent} requests at once` } }, { "retry-after": String(limits?.retryAfterSeconds ?? 1) });
    }
    if (request.method === "GET" && path === "/health") return sendJson(response, 200, { ok: true });
    const readBack = request.method === "GET" ? path.match(/^\/items\/([a-z]+)$/) : null;
    if (readBack) {
      const skus = new URL(request.url ?? "/", "http://x").searchParams.getAll("sku");
      return sendJson(response, 200, { items: skus.map((sku) => receiver.held(readBack[1]!, sku)).filter((item) => item !== undefined) });
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
    if (options.signingSecret && !receiver.signedBy(body, request.headers)) {
      stats.badSignatures++;
      return sendJson(response, 401, { error: { code: "invalid_signature", message: "webhook-signature does not verify (Standard Webhooks)" } });
    }
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
    const batchKind = request.method === "POST" ? path.match(/^\/batches\/([a-z]+)$/)?.[1] : undefined;
    let answer: unknown;
    if (batchKind) {
      const outcome = receiver.apply(batchKind, parsed);
      if (outcome.status !== 200) return sendJson(response, outcome.status, outcome.body);
      answer = outcome.body;
    } else if (request.method === "POST" && path === "/manifests") {
      const posted = parsed as { manifest?: unknown; signature?: unknown } | undefined;
      if (!posted || typeof posted.signature !== "string" || posted.manifest === undefined) {
        return sendJson(response, 400, { error: { code: "invalid_manifest", message: "expected {manifest, signature}" } });
      }
      const verified = receiver.manifestSignedBy(posted.manifest, posted.signature);
      manifests.push({ manifest: posted.manifest, signature: posted.signature, verified });
      if (!verified) return sendJson(response, 400, { error: { code: "invalid_manifest_signature", message: "the manifest's HMAC does not verify" } });
      answer = { accepted: true };
    }
    const entry: ReceivedRequest = { method: request.method ?? "POST", path, body: parsed, idempotencyKey, receivedAt: clock.now() };
    received.push(entry);
    stats.accepted++;
    answer ??= { accepted: true, id: `${options.name}-${received.length}` };
    if (idempotencyKey) acceptedKeys.set(idempotencyKey, answer);
    feed.emit({ kind: `${options.name}/received`, shop: options.name, occurredAt: new Date(entry.receivedAt).toISOString(), payload: { path: entry.path, body: parsed } });
    if (fault === "drop-after-apply") {
      request.socket.destroy();
      return;
    }
    sendJson(response, 200, answer);
  }

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
    rejectItems: receiver.rejectItems,
    clearRejections: receiver.clearRejections,
    held: receiver.held,
    appliedCount: receiver.appliedCount,
    manifests,
    onChange: (listener) => feed.onChange(listener),
    close: running.close,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
