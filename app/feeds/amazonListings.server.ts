import { gunzipSync } from "node:zlib";
import { z } from "zod";
import type { Destination, DestinationAdapter, ItemKind, ItemResult, ItemState, PublishRun, PushedItem } from "../batching/types";
import { LockstepError } from "../config/errors";
import { type DestinationSendOptions, type HttpDestination, httpDestination } from "../destinations/httpDestination.server";
import { type Clock, systemClock } from "../config/clock";
import type { LimiterRegistry } from "../outbound/limiterRegistry.server";
import type { RetryPolicy } from "../outbound/retryPolicy";
import {
  AMAZON_LISTING_FEED_WINDOW,
  AMAZON_MAX_FEED_BYTES,
  AMAZON_MAX_MESSAGES,
  AMAZON_SEARCH_SKUS,
  AMAZON_USAGE_PLANS,
  createFeedBucket,
  type SellingPartnerOperation,
  type UsagePlan,
} from "./amazonUsagePlans";
import { fieldSources, mappedMetafields, mappedValue } from "./fieldMapping";
import type { MetafieldReader } from "./metafields.server";

// Amazon Selling Partner JSON_LISTINGS_FEED as a destination kind of the delayed-half pipeline.
// Every page of a run's items becomes PATCH messages; messages are gathered into feed documents of
// at most `maxMessagesPerFeed` messages and `maxFeedBytes` bytes, each sent the way Amazon takes
// them: createFeedDocument → PUT to the presigned URL → createFeed → poll getFeed → getFeedDocument
// → download the processing report → each messageId's issues back onto its SKU. Every call goes
// through app/outbound with one limiter per operation, sized from Amazon's usage plans (createFeed
// also from the listing-feed window), so no 429 is provoked; Retry-After is honoured when one comes.
// "Accepted" is only the report's word: reconciliation reads the listings back (`readBack`).

const plan = z.object({ ratePerSecond: z.number().positive().max(1_000), burst: z.number().int().min(1).max(1_000) }).strict();

const options = z
  .object({
    /** The seller (merchant token) the feeds and listings belong to. */
    sellerId: z.string().trim().min(1, "options.sellerId is required (the Amazon merchant token)").max(64),
    marketplaceId: z.string().trim().min(1).max(32).default("ATVPDKIKX0DER"),
    /** Login with Amazon's token endpoint: used when the credentials hold a refreshToken (with clientId, clientSecret). */
    lwaTokenUrl: z.string().url().default("https://api.amazon.com/auth/o2/token"),
    issueLocale: z.string().regex(/^[a-z]{2}_[A-Z]{2}$/, "options.issueLocale looks like en_US").default("en_US"),
    currency: z.string().regex(/^[A-Z]{3}$/, "options.currency must be an ISO 4217 code such as USD").default("USD"),
    fulfillmentChannelCode: z.string().min(1).max(32).default("DEFAULT"),
    /**
     * Which Amazon product type a SKU is listed under: the first of `sources` that gives a product
     * type name (`metafield:amazon.product_type`, a field, a fixed value), else the longest matching
     * SKU prefix, else the default. `PRODUCT` (Amazon's generic type) fits the demo catalog; null:
     * every SKU must be matched.
     */
    productType: z
      .object({
        sources: fieldSources.default([]),
        default: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "options.productType.default is an Amazon product type such as PRODUCT or SHIRT").nullable().default("PRODUCT"),
        bySkuPrefix: z.record(z.string().min(1), z.string().regex(/^[A-Z][A-Z0-9_]*$/, "options.productType.bySkuPrefix maps SKU prefixes to product types such as SHIRT")).default({}),
      })
      .strict()
      .default({ sources: [], default: "PRODUCT", bySkuPrefix: {} }),
    maxMessagesPerFeed: z.number().int().min(1).max(AMAZON_MAX_MESSAGES, `options.maxMessagesPerFeed is at most ${AMAZON_MAX_MESSAGES}`).default(AMAZON_MAX_MESSAGES),
    maxFeedBytes: z.number().int().min(1_024).max(AMAZON_MAX_FEED_BYTES, `options.maxFeedBytes is at most ${AMAZON_MAX_FEED_BYTES}`).default(AMAZON_MAX_FEED_BYTES),
    /** How often getFeed is asked while a feed is processed (Amazon: minutes to hours). */
    pollIntervalMs: z.number().int().min(1).max(3_600_000).default(30_000),
    /**
     * Reconciliation reads the listings back no sooner than this after the destination's last feed
     * was processed: Amazon applies accepted messages to the listings some time after the report.
     */
    confirmAfterMs: z.number().int().min(0).max(3_600_000).default(60_000),
    /** Processing longer than this: the feed's items are left to retry (the next attempt of the run sends them again). */
    maxProcessingMs: z.number().int().min(1).max(86_400_000).default(12 * 3_600_000),
    /** A seller's account may have lower limits than Amazon's defaults; tests use faster ones. */
    usagePlans: z.partialRecord(z.enum(["createFeedDocument", "createFeed", "getFeed", "getFeedDocument", "searchListingsItems", "getListingsItem"]), plan).default({}),
    listingFeedWindow: z.object({ max: z.number().int().min(1).max(1_000), windowMs: z.number().int().min(1).max(86_400_000) }).strict().default(AMAZON_LISTING_FEED_WINDOW),
  })
  .strict();

export type AmazonListingsOptions = z.output<typeof options>;

export interface AmazonListingsDeps {
  registry: LimiterRegistry;
  clock?: Clock;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /**
   * Lockstep's sellable quantity per SKU (pooled over locations, safety stock and holds taken
   * off): what Amazon is told for stock. Absent: the items' summed on-hand − committed.
   */
  quantities?: (shopId: string, skus: string[]) => Promise<Map<string, number>>;
  /** The product metafields `productType.sources` name (`productMetafields`); absent: metafield sources give nothing. */
  metafields?: MetafieldReader;
}

const DECIMAL = /^\d{1,10}(\.\d{1,4})?$/;
const MAX_SKU_LENGTH = 40;
const CONTENT_TYPE = "application/json; charset=UTF-8";

/** The destination's options with defaults filled in, or `invalid_destination` (400) naming the first bad one. */
export function parseAmazonListingsOptions(raw: unknown): AmazonListingsOptions {
  const parsed = options.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LockstepError("invalid_destination", issue.message.startsWith("options.") ? issue.message : `${["options", ...issue.path].join(".")}: ${issue.message}`, { field: "options" });
  }
  return parsed.data;
}

function optionsOf(destination: Destination): AmazonListingsOptions {
  return options.parse(destination.options);
}

const PRODUCT_TYPE = /^[A-Z][A-Z0-9_]*$/;

/** The product type of an item under the destination's mapping; undefined: none (a validation reject). */
export function productTypeOf(item: PushedItem, mapping: AmazonListingsOptions["productType"]): string | undefined {
  // A source's value is a product type only when it is spelt as one (`SHIRT`); anything else falls through.
  for (const source of mapping.sources) {
    const value = mappedValue(item, [source]);
    if (PRODUCT_TYPE.test(value)) return value;
  }
  let best: [string, string] | undefined;
  for (const [prefix, type] of Object.entries(mapping.bySkuPrefix)) {
    if (item.sku.startsWith(prefix) && (!best || prefix.length > best[0].length)) best = [prefix, type];
  }
  return best?.[1] ?? mapping.default ?? undefined;
}

/** What Amazon keeps of an item, as reconciliation compares it with a listing read back. */
function stateOf(item: PushedItem): ItemState {
  switch (item.kind) {
    case "catalog":
      return { title: item.title, price: Number(item.price) };
    case "price":
      return { price: Number(item.price), currency: item.currency };
    case "stock":
      return { quantity: item.available };
  }
}

function validate(item: PushedItem, destination: Destination): string[] {
  const reasons: string[] = [];
  if (item.sku.trim() === "") reasons.push("no SKU: Amazon listings are keyed by SKU");
  else if (item.sku.length > MAX_SKU_LENGTH) reasons.push(`SKU longer than ${MAX_SKU_LENGTH} characters (Amazon's limit)`);
  if (item.kind === "catalog" && item.title.trim() === "") reasons.push("no title (item_name)");
  if ((item.kind === "catalog" || item.kind === "price") && !DECIMAL.test(item.price ?? "")) reasons.push(item.price ? `price "${item.price}" is not an amount ≥ 0` : "no price");
  if (item.kind === "stock" && (!Number.isInteger(item.available) || item.available < 0)) reasons.push(`quantity ${String(item.available)} is not a whole number ≥ 0`);
  const parsed = options.safeParse(destination.options);
  if (parsed.success && !productTypeOf(item, parsed.data.productType)) reasons.push("no productType: no source of options.productType.sources gives one, no SKU prefix of options.productType.bySkuPrefix matches and there is no default");
  return reasons;
}

/** The PATCH message of one item (without its messageId). */
export function messageOf(item: PushedItem, settings: AmazonListingsOptions): Record<string, unknown> {
  const offer = (price: string, currency: string) => ({
    op: "replace",
    path: "/attributes/purchasable_offer",
    value: [{ marketplace_id: settings.marketplaceId, currency, our_price: [{ schedule: [{ value_with_tax: Number(price) }] }] }],
  });
  const patches =
    item.kind === "stock"
      ? [{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: settings.fulfillmentChannelCode, quantity: item.available }] }]
      : item.kind === "price"
        ? [offer(item.price, item.currency)]
        : [{ op: "replace", path: "/attributes/item_name", value: [{ value: item.title, language_tag: settings.issueLocale, marketplace_id: settings.marketplaceId }] }, offer(item.price, item.currency)];
  return { sku: item.sku, operationType: "PATCH", productType: productTypeOf(item, settings.productType)!, patches };
}

/**
 * Gathers messages into JSON_LISTINGS_FEED documents: a document is cut when the next message would
 * pass the message count or the byte size. Messages are serialised once; the document is their join.
 */
export class FeedChunker {
  private messages: string[] = [];
  private skus: string[] = [];
  private bytes: number;
  private readonly head: string;

  constructor(
    private readonly limits: { sellerId: string; issueLocale: string; maxMessages: number; maxBytes: number },
    private readonly emit: (document: { body: string; skus: string[]; bytes: number }) => Promise<void> | void,
  ) {
    this.head = `{"header":${JSON.stringify({ sellerId: limits.sellerId, version: "2.0", issueLocale: limits.issueLocale })},"messages":[`;
    this.bytes = this.emptyBytes();
  }

  private emptyBytes(): number {
    return Buffer.byteLength(this.head) + 2;
  }

  /** Adds one message (without messageId); emits the document it would not fit into first. */
  async add(sku: string, message: Record<string, unknown>): Promise<void> {
    const text = (messageId: number) => JSON.stringify({ messageId, ...message });
    let encoded = text(this.messages.length + 1);
    let size = Buffer.byteLength(encoded) + (this.messages.length > 0 ? 1 : 0);
    if (this.messages.length > 0 && (this.messages.length >= this.limits.maxMessages || this.bytes + size > this.limits.maxBytes)) {
      await this.flush();
      encoded = text(1);
      size = Buffer.byteLength(encoded);
    }
    if (this.bytes + size > this.limits.maxBytes) throw new LockstepError("feed_message_too_large", `the message of SKU ${sku} alone is larger than ${this.limits.maxBytes} bytes`);
    this.messages.push(encoded);
    this.skus.push(sku);
    this.bytes += size;
  }

  async flush(): Promise<void> {
    if (this.messages.length === 0) return;
    const document = { body: `${this.head}${this.messages.join(",")}]}`, skus: this.skus, bytes: this.bytes };
    this.messages = [];
    this.skus = [];
    this.bytes = this.emptyBytes();
    await this.emit(document);
  }
}

interface FeedAnswer {
  feedId?: string;
  processingStatus?: string;
  resultFeedDocumentId?: string;
}

interface ReportIssue {
  messageId?: number;
  severity?: string;
  message?: string;
  code?: string;
  attributeName?: string;
}

interface ListingAnswer {
  sku?: string;
  attributes?: Record<string, Array<Record<string, unknown>> | undefined>;
}

/** What a listing read back holds, in `stateOf`'s shape for the kind. */
function heldState(kind: ItemKind, listing: ListingAnswer): ItemState | undefined {
  const attributes = listing.attributes ?? {};
  const offer = attributes.purchasable_offer?.[0] as { currency?: string; our_price?: Array<{ schedule?: Array<{ value_with_tax?: number }> }> } | undefined;
  const price = offer?.our_price?.[0]?.schedule?.[0]?.value_with_tax ?? null;
  switch (kind) {
    case "catalog":
      return { title: (attributes.item_name?.[0]?.value as string | undefined) ?? null, price };
    case "price":
      return offer ? { price, currency: offer.currency ?? null } : undefined;
    case "stock": {
      const availability = attributes.fulfillment_availability?.[0];
      return availability ? { quantity: (availability.quantity as number | undefined) ?? null } : undefined;
    }
  }
}

export function amazonListingsAdapter(deps: AmazonListingsDeps): DestinationAdapter {
  const clock = deps.clock ?? systemClock;
  /** When each destination's last feed was processed (this process): the read-back waits `confirmAfterMs` from there. */
  const lastProcessed = new Map<string, number>();

  /** Login with Amazon access tokens per destination (this process): the token and when to refresh it. */
  const tokens = new Map<string, { token: string; refreshAt: number }>();
  const refreshing = new Map<string, Promise<string>>();

  const refreshable = (destination: Destination) => Boolean(destination.credentials.refreshToken);

  /** The access token to send: the stored one, or an LWA token refreshed before it expires (or when `force`d after a refusal). */
  async function accessTokenOf(destination: Destination, force: boolean): Promise<string | undefined> {
    if (!refreshable(destination)) return destination.credentials.accessToken;
    const cached = tokens.get(destination.id);
    if (!force && cached && clock.now() < cached.refreshAt) return cached.token;
    // Concurrent calls of one destination share one refresh.
    let pending = refreshing.get(destination.id);
    if (!pending) {
      pending = refreshToken(destination).finally(() => refreshing.delete(destination.id));
      refreshing.set(destination.id, pending);
    }
    return pending;
  }

  async function refreshToken(destination: Destination): Promise<string> {
    const { refreshToken: refresh, clientId, clientSecret } = destination.credentials;
    const tokenUrl = new URL(optionsOf(destination).lwaTokenUrl);
    const client = httpDestination(
      { id: `amazon-lwa:${tokenUrl.host}`, kind: "marketplace", baseUrl: tokenUrl.origin, ratePerSecond: 5, burst: 5, concurrency: 2, retry: deps.retry },
      { registry: deps.registry, clock, fetch: deps.fetch },
    );
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refresh!, client_id: clientId ?? "", client_secret: clientSecret ?? "" });
    const answer = await client.send<{ access_token?: string; expires_in?: number }>(`${tokenUrl.pathname}${tokenUrl.search}`, undefined, {
      method: "POST",
      rawBody: form.toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
    });
    const token = answer.body?.access_token;
    if (!token) throw new LockstepError("outbound_rejected", "Login with Amazon gave no access_token", { retryable: false, target: `amazon-lwa:${tokenUrl.host}` });
    const ttlMs = Math.max(1, answer.body?.expires_in ?? 3_600) * 1_000;
    // Refreshed a minute before expiry (a fifth of a short lifetime), so no call carries a token about to lapse.
    tokens.set(destination.id, { token, refreshAt: clock.now() + ttlMs - Math.min(60_000, ttlMs / 5) });
    return token;
  }

  /** SP-API refuses an expired or revoked token with 401/403 `Unauthorized`. */
  const refusedToken = (error: unknown) =>
    error instanceof LockstepError && (error.details?.httpStatus === 401 || (error.details?.httpStatus === 403 && error.message.includes("Unauthorized")));

  /** A client of one operation sending the destination's access token; a refused token is refreshed and the call sent again, once. */
  function clientOf(destination: Destination, operation: SellingPartnerOperation): Pick<HttpDestination, "send"> {
    const client = operationClient(destination, operation);
    const attempt = async <T>(path: string, body: unknown, options: DestinationSendOptions, force: boolean) => {
      const token = await accessTokenOf(destination, force);
      return client.send<T>(path, body, { ...options, headers: { ...options.headers, ...(token ? { "x-amz-access-token": token } : {}) } });
    };
    return {
      async send<T>(path: string, body: unknown, options: DestinationSendOptions = {}) {
        try {
          return await attempt<T>(path, body, options, false);
        } catch (error) {
          if (!refreshable(destination) || !refusedToken(error)) throw error;
          return attempt<T>(path, body, options, true);
        }
      },
    };
  }

  /** One client per operation: its own limiter (keyed by endpoint and seller, shared by every destination of that seller). */
  function operationClient(destination: Destination, operation: SellingPartnerOperation): HttpDestination {
    const settings = optionsOf(destination);
    const usage: UsagePlan = settings.usagePlans[operation] ?? AMAZON_USAGE_PLANS[operation];
    const bucket = operation === "createFeed" ? createFeedBucket(usage, settings.listingFeedWindow) : usage;
    return httpDestination(
      {
        id: `amazon:${new URL(destination.endpoint).host}:${settings.sellerId}:${operation}`,
        kind: "marketplace",
        baseUrl: destination.endpoint,
        ratePerSecond: bucket.ratePerSecond,
        burst: bucket.burst,
        concurrency: destination.limits.concurrency,
        retry: deps.retry,
      },
      { registry: deps.registry, clock, fetch: deps.fetch },
    );
  }

  /** Presigned URLs (upload, report download) carry their own signature: no token, a client per host. */
  function presigned(destination: Destination, url: string): { client: HttpDestination; path: string } {
    const parsed = new URL(url);
    const client = httpDestination(
      { id: `amazon-documents:${parsed.host}`, kind: "marketplace", baseUrl: parsed.origin, ratePerSecond: 20, burst: 20, concurrency: Math.max(2, destination.limits.concurrency), retry: deps.retry, timeoutMs: 120_000 },
      { registry: deps.registry, clock, fetch: deps.fetch },
    );
    return { client, path: `${parsed.pathname}${parsed.search}` };
  }

  async function waitForProcessing(run: PublishRun, feedId: string, settings: AmazonListingsOptions): Promise<FeedAnswer> {
    const getFeed = clientOf(run.destination, "getFeed");
    const started = clock.now();
    for (;;) {
      const answer = (await getFeed.send<FeedAnswer>(`/feeds/2021-06-30/feeds/${encodeURIComponent(feedId)}`, undefined, { method: "GET" })).body;
      const status = answer?.processingStatus;
      if (status === "DONE" || status === "FATAL" || status === "CANCELLED") return answer!;
      if (run.signal.aborted) throw run.signal.reason instanceof Error ? run.signal.reason : new Error("run stopped");
      if (clock.now() - started > settings.maxProcessingMs) throw new Error(`feed ${feedId} still ${status ?? "unknown"} after ${settings.maxProcessingMs} ms`);
      await clock.sleep(settings.pollIntervalMs);
    }
  }

  async function downloadReport(run: PublishRun, documentId: string): Promise<{ issues?: ReportIssue[] }> {
    const located = await clientOf(run.destination, "getFeedDocument").send<{ url?: string; compressionAlgorithm?: string }>(`/feeds/2021-06-30/documents/${encodeURIComponent(documentId)}`, undefined, { method: "GET" });
    if (!located.body?.url) throw new Error(`getFeedDocument ${documentId} gave no URL`);
    const compression = located.body.compressionAlgorithm;
    if (compression && compression !== "GZIP") throw new Error(`processing report ${documentId} is ${compression}-compressed: only GZIP is read`);
    const { client, path } = presigned(run.destination, located.body.url);
    if (!compression) return (await client.send<{ issues?: ReportIssue[] }>(path, undefined, { method: "GET" })).body ?? {};
    const bytes = (await client.send<Buffer>(path, undefined, { method: "GET", binary: true })).body;
    return JSON.parse(gunzipSync(bytes).toString("utf8")) as { issues?: ReportIssue[] };
  }

  /** One document through Amazon's five steps; every SKU it carried gets one result. */
  async function sendFeed(run: PublishRun, settings: AmazonListingsOptions, document: { body: string; skus: string[] }): Promise<ItemResult[]> {
    const created = await clientOf(run.destination, "createFeedDocument").send<{ feedDocumentId?: string; url?: string }>("/feeds/2021-06-30/documents", { contentType: CONTENT_TYPE });
    const documentId = created.body?.feedDocumentId;
    if (!documentId || !created.body?.url) throw new Error("createFeedDocument gave no feedDocumentId and url");
    const upload = presigned(run.destination, created.body.url);
    await upload.client.send(upload.path, undefined, { method: "PUT", rawBody: document.body, headers: { "Content-Type": CONTENT_TYPE } });
    const feed = await clientOf(run.destination, "createFeed").send<FeedAnswer>("/feeds/2021-06-30/feeds", {
      feedType: "JSON_LISTINGS_FEED",
      marketplaceIds: [settings.marketplaceId],
      inputFeedDocumentId: documentId,
    });
    const feedId = feed.body?.feedId;
    if (!feedId) throw new Error("createFeed gave no feedId");
    const batchId = `amazon-feed-${feedId}`;
    const done = await waitForProcessing(run, feedId, settings);
    lastProcessed.set(run.destination.id, clock.now());
    if (done.processingStatus === "CANCELLED") return document.skus.map((sku) => ({ kind: run.kind, sku, outcome: "to_retry", reason: `feed ${feedId} was cancelled`, batchId }));
    const report = done.resultFeedDocumentId ? await downloadReport(run, done.resultFeedDocumentId) : {};
    const issues = report.issues ?? [];
    if (done.processingStatus === "FATAL") {
      const why = issues.map((issue) => issue.message).filter(Boolean).join("; ") || "no reason given";
      return document.skus.map((sku) => ({ kind: run.kind, sku, outcome: "rejected", reason: `Amazon refused feed ${feedId} as a whole (FATAL): ${why}`.slice(0, 500), batchId }));
    }
    // Issues name the messageId; messageId n is the nth SKU of this document.
    const errors = new Map<number, string[]>();
    for (const issue of issues) {
      if (issue.severity !== "ERROR" || typeof issue.messageId !== "number") continue;
      const text = `${issue.code ? `${issue.code}: ` : ""}${issue.message ?? "error"}`;
      errors.set(issue.messageId, [...(errors.get(issue.messageId) ?? []), text]);
    }
    return document.skus.map((sku, index) => {
      const found = errors.get(index + 1);
      return found ? { kind: run.kind, sku, outcome: "rejected", reason: found.join("; ").slice(0, 500), batchId } : { kind: run.kind, sku, outcome: "accepted", batchId };
    });
  }

  return {
    kind: "amazon_listings",
    delivery: "delta",
    readPageSize: 1_000,
    parseOptions: parseAmazonListingsOptions,
    async prepare(items, destination) {
      // The metafields the productType sources name (none named: no read).
      const named = mappedMetafields(optionsOf(destination).productType.sources);
      const withMetafields = named.length > 0 && deps.metafields ? await deps.metafields(destination.shopId, items, named) : items;
      const stock = withMetafields.filter((item) => item.kind === "stock");
      if (!deps.quantities || stock.length === 0) return withMetafields;
      const quantities = await deps.quantities(destination.shopId, stock.map((item) => item.sku));
      return withMetafields.map((item) => (item.kind === "stock" && quantities.has(item.sku) ? { ...item, available: quantities.get(item.sku)! } : item));
    },
    validate,
    stateOf,
    async publish(run, pages) {
      const settings = optionsOf(run.destination);
      // Feeds go out one after another up to the destination's concurrency; the createFeed limiter spaces them.
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      const chunker = new FeedChunker({ sellerId: settings.sellerId, issueLocale: settings.issueLocale, maxMessages: settings.maxMessagesPerFeed, maxBytes: settings.maxFeedBytes }, async (document) => {
        const sending = sendFeed(run, settings, document).then(
          (results) => run.report(results),
          async (error: unknown) => {
            failure ??= error;
            const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
            await run.report(document.skus.map((sku) => ({ kind: run.kind, sku, outcome: "to_retry", reason })));
          },
        );
        const tracked = sending.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        if (inFlight.size >= run.destination.limits.concurrency) await Promise.race(inFlight);
      });
      for await (const page of pages) {
        if (failure || run.signal.aborted) break;
        for (const item of page) await chunker.add(item.sku, messageOf(item, settings));
      }
      if (!failure && !run.signal.aborted) await chunker.flush();
      await Promise.all(inFlight);
      if (failure) throw failure;
      return { files: [] };
    },
    async readBack(destination, kind, skus) {
      const settings = optionsOf(destination);
      const confirmable = (lastProcessed.get(destination.id) ?? Number.NEGATIVE_INFINITY) + settings.confirmAfterMs;
      if (confirmable > clock.now()) await clock.sleep(confirmable - clock.now());
      const search = clientOf(destination, "searchListingsItems");
      const held = new Map<string, ItemState | undefined>();
      // searchListingsItems takes 20 SKUs a call, comma-separated: a SKU with a comma is read on its own.
      const searchable = skus.filter((sku) => !sku.includes(","));
      for (const sku of skus.filter((sku) => sku.includes(","))) {
        const path = `/listings/2021-08-01/items/${encodeURIComponent(settings.sellerId)}/${encodeURIComponent(sku)}?${new URLSearchParams({ marketplaceIds: settings.marketplaceId, includedData: "summaries,attributes" }).toString()}`;
        try {
          const answer = await clientOf(destination, "getListingsItem").send<ListingAnswer>(path, undefined, { method: "GET" });
          if (answer.body) held.set(sku, heldState(kind, answer.body));
        } catch (error) {
          // 404: Amazon does not hold the SKU.
          if (!(error instanceof LockstepError && error.details?.httpStatus === 404)) throw error;
        }
      }
      for (let start = 0; start < searchable.length; start += AMAZON_SEARCH_SKUS) {
        const group = searchable.slice(start, start + AMAZON_SEARCH_SKUS);
        const query = new URLSearchParams({ marketplaceIds: settings.marketplaceId, identifiers: group.join(","), identifiersType: "SKU", includedData: "summaries,attributes" });
        const answer = await search.send<{ items?: ListingAnswer[] }>(`/listings/2021-08-01/items/${encodeURIComponent(settings.sellerId)}?${query.toString()}`, undefined, { method: "GET" });
        for (const listing of answer.body?.items ?? []) if (listing.sku) held.set(listing.sku, heldState(kind, listing));
      }
      return skus.map((sku) => ({ kind, sku, state: held.get(sku) }));
    },
    async testConnection(destination) {
      const settings = optionsOf(destination);
      const query = new URLSearchParams({ marketplaceIds: settings.marketplaceId, identifiers: "lockstep-connection-test", identifiersType: "SKU" });
      const answer = await clientOf(destination, "searchListingsItems").send(`/listings/2021-08-01/items/${encodeURIComponent(settings.sellerId)}?${query.toString()}`, undefined, { method: "GET" });
      return { ok: true, message: `${destination.endpoint} answered ${answer.status} for seller ${settings.sellerId}` };
    },
  };
}
