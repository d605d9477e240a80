import { createHash } from "node:crypto";
import { z } from "zod";
import type { DestinationAdapter, Destination, ItemKind, ItemResult, ItemState, PublishRun, PushedItem } from "../batching/types";
import { LockstepError } from "../config/errors";
import type { CircuitBreakerSettings } from "../outbound/circuitBreaker";
import { type Clock, systemClock } from "../config/clock";
import type { LimiterRegistry } from "../outbound/limiterRegistry.server";
import type { RetryPolicy } from "../outbound/retryPolicy";
import { standardWebhookHeaders } from "../outbound/standardWebhooks";
import { type HttpDestination, httpDestination } from "./httpDestination.server";

// ERP JSON over HTTP (wire format: app/batching/README.md). A page of the run is one request,
// signed with Standard Webhooks headers and carrying an Idempotency-Key derived from its content:
// the same chunk sent again after a lost answer is recognised and not applied twice.

const options = z
  .object({
    /** ISO currency of the shop's prices, sent with every price. */
    currency: z.string().regex(/^[A-Z]{3}$/, "options.currency must be an ISO 4217 code such as EUR").default("USD"),
  })
  .strict();

export interface ErpHttpDeps {
  registry: LimiterRegistry;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Tests shorten the retries; destinations get the outbound defaults. */
  retry?: Partial<RetryPolicy>;
  /** Tests change when the circuit opens; destinations get the outbound defaults. */
  breaker?: Partial<CircuitBreakerSettings>;
}

const DECIMAL = /^-?\d{1,10}(\.\d{1,4})?$/;

/** What the ERP keeps of an item: what reconciliation compares after a read-back. */
function stateOf(item: PushedItem): ItemState {
  switch (item.kind) {
    case "catalog":
      return { title: item.title, productTitle: item.productTitle, status: item.status, price: item.price };
    case "price":
      return { price: item.price, currency: item.currency };
    case "stock":
      return { available: item.available };
  }
}

function validate(item: PushedItem): string[] {
  const reasons: string[] = [];
  if (item.sku.trim() === "" || item.sku.startsWith("#")) reasons.push("no SKU: the ERP keys items by SKU");
  if (item.kind === "catalog" && item.productTitle.trim() === "" && item.title.trim() === "") reasons.push("no title");
  if ((item.kind === "catalog" || item.kind === "price") && !DECIMAL.test(item.price)) reasons.push(`price "${item.price}" is not a decimal amount`);
  if (item.kind === "stock" && !Number.isInteger(item.available)) reasons.push("available is not a whole number");
  return reasons;
}

/**
 * Same run, same items in the same versions and states → the same id, whichever attempt of the
 * run sends them; another run (a rollback re-publishing an older state) gets its own.
 */
function batchIdOf(destinationId: string, runId: string, kind: ItemKind, items: PushedItem[]): string {
  const hash = createHash("sha256").update(destinationId).update("\n").update(runId).update("\n").update(kind);
  for (const item of items) hash.update("\n").update(JSON.stringify([item.sku, item.version, stateOf(item)]));
  return `b_${hash.digest("base64url").slice(0, 32)}`;
}

interface BatchAnswer {
  results?: Array<{ sku?: unknown; status?: unknown; reason?: unknown }>;
}

export function erpHttpAdapter(deps: ErpHttpDeps): DestinationAdapter {
  const clock = deps.clock ?? systemClock;

  const clientOf = (destination: Destination): HttpDestination =>
    httpDestination(
      {
        id: destination.id,
        kind: "erp",
        baseUrl: destination.endpoint,
        ratePerSecond: destination.limits.requestsPerSecond,
        burst: Math.max(1, Math.ceil(destination.limits.requestsPerSecond)),
        concurrency: destination.limits.concurrency,
        headers: destination.credentials.token ? { Authorization: `Bearer ${destination.credentials.token}` } : undefined,
        retry: deps.retry,
        breaker: deps.breaker,
      },
      { registry: deps.registry, clock, fetch: deps.fetch },
    );

  /** A POST signed with Standard Webhooks headers over its exact body; `id` is also its Idempotency-Key. */
  function signedPost<T>(destination: Destination, path: string, id: string, body: string) {
    return clientOf(destination).send<T>(path, undefined, {
      idempotencyKey: id,
      rawBody: body,
      headers: standardWebhookHeaders(destination.signingSecret, id, new Date(clock.now()), body),
    });
  }

  async function sendChunk(run: PublishRun, items: PushedItem[]): Promise<ItemResult[]> {
    const batchId = batchIdOf(run.destination.id, run.runId, run.kind, items);
    const body = JSON.stringify({ batchId, runId: run.runId, kind: run.kind, items: items.map((item) => ({ sku: item.sku, version: item.version, ...stateOf(item) })) });
    const result = (kind: ItemResult["outcome"], sku: string, reason?: string): ItemResult => ({ kind: run.kind, sku, outcome: kind, reason, batchId });
    try {
      const answer = await signedPost<BatchAnswer>(run.destination, `/batches/${run.kind}`, batchId, body);
      const bySku = new Map((answer.body?.results ?? []).map((entry) => [String(entry.sku), entry]));
      return items.map((item) => {
        const entry = bySku.get(item.sku);
        if (entry?.status === "rejected") return result("rejected", item.sku, typeof entry.reason === "string" ? entry.reason.slice(0, 500) : "rejected by the ERP");
        if (entry?.status === "retry") return result("to_retry", item.sku, typeof entry.reason === "string" ? entry.reason.slice(0, 500) : undefined);
        return result("accepted", item.sku);
      });
    } catch (error) {
      // The receiver refused the chunk as such (4xx): its items are rejected. Anything else may succeed later: the caller stops.
      if (error instanceof LockstepError && error.code === "outbound_rejected") return items.map((item) => result("rejected", item.sku, error.message.slice(0, 500)));
      throw error;
    }
  }

  return {
    kind: "erp_http",
    delivery: "delta",
    parseOptions: (raw) => {
      const parsed = options.safeParse(raw ?? {});
      if (!parsed.success) throw new LockstepError("invalid_destination", parsed.error.issues[0]!.message, { field: "options" });
      return parsed.data;
    },
    validate,
    stateOf,
    async publish(run, pages) {
      // Chunks go out up to the destination's concurrency; the limiter spaces them to its rate.
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      for await (const page of pages) {
        if (failure || run.signal.aborted) break;
        const sending = sendChunk(run, page).then(
          (results) => run.report(results),
          async (error: unknown) => {
            failure ??= error;
            const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
            await run.report(page.map((item) => ({ kind: run.kind, sku: item.sku, outcome: "to_retry", reason })));
          },
        );
        const tracked = sending.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        if (inFlight.size >= run.destination.limits.concurrency) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure) throw failure;
      return { files: [] };
    },
    async publishManifest(run, signed) {
      await signedPost(run.destination, "/manifests", `manifest_${signed.manifest.runId}_${run.attempt}`, JSON.stringify(signed));
    },
    async readBack(destination, kind, skus) {
      const client = clientOf(destination);
      const held = new Map<string, { state: ItemState; version?: string }>();
      for (let start = 0; start < skus.length; start += 100) {
        const query = skus
          .slice(start, start + 100)
          .map((sku) => `sku=${encodeURIComponent(sku)}`)
          .join("&");
        const answer = await client.send<{ items?: Array<Record<string, unknown>> }>(`/items/${kind}?${query}`, undefined, { method: "GET" });
        for (const item of answer.body?.items ?? []) {
          const { sku, version, ...state } = item;
          held.set(String(sku), { state: state as ItemState, ...(typeof version === "string" ? { version } : {}) });
        }
      }
      return skus.map((sku) => ({ kind, sku, state: held.get(sku)?.state, ...(held.get(sku)?.version !== undefined ? { version: held.get(sku)!.version } : {}) }));
    },
    async testConnection(destination) {
      const answer = await clientOf(destination).send("/health", undefined, { method: "GET" });
      return { ok: true, message: `${destination.endpoint} answered ${answer.status}` };
    },
    async deliverEvent(destination, event) {
      // POST {endpoint}/events, Standard Webhooks payload and headers; the event id is its Idempotency-Key too.
      await signedPost(destination, "/events", event.id, JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data }));
    },
  };
}
