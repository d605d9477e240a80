import { randomBytes } from "node:crypto";
import { type IncomingMessage, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { AMAZON_LISTING_FEED_WINDOW, AMAZON_SEARCH_SKUS, AMAZON_USAGE_PLANS, type SellingPartnerOperation, type UsagePlan } from "../../app/feeds/amazonUsagePlans";
import { TokenBucket } from "../../app/outbound/tokenBucket";
import { ChangeFeed, type ChangeListener, type SimulatorClock, realClock } from "../changes";
import { listen, readBody, sendJson } from "../http";

// An Amazon Selling Partner API stand-in for JSON_LISTINGS_FEED: the Feeds API 2021-06-30
// (createFeedDocument → PUT to the presigned URL → createFeed → getFeed → getFeedDocument → the
// processing report) and the Listings Items API 2021-08-01 read-back (getListingsItem). Feeds are
// processed asynchronously after a delay; each operation has Amazon's usage plan (token bucket,
// 429 `QuotaExceeded` beyond it) and listing feeds are also capped per window per region.

export { AMAZON_USAGE_PLANS, AMAZON_LISTING_FEED_WINDOW, type UsagePlan, type SellingPartnerOperation };

export interface SellingPartnerSimulatorOptions {
  port?: number;
  sellerId?: string;
  marketplaceId?: string;
  /** Required as `x-amz-access-token` when set (LWA access token). */
  accessToken?: string;
  /**
   * Login with Amazon: `POST /auth/o2/token` (grant_type=refresh_token) issues access tokens that
   * expire after `tokenTtlMs`; with it, the API takes only unexpired issued tokens (or `accessToken`).
   */
  lwa?: { clientId: string; clientSecret: string; refreshToken: string; tokenTtlMs?: number };
  /** Processing reports served gzip-compressed (`compressionAlgorithm: GZIP`), as Amazon may. */
  gzipReports?: boolean;
  /** IN_QUEUE for the first half, IN_PROGRESS for the second, then DONE. */
  processingDelayMs?: number;
  /** Accepted messages reach the listings this long after the feed is DONE (Amazon: "accepted" is not yet "applied"). */
  applyDelayMs?: number;
  /** Per operation; absent operations keep Amazon's plan. */
  usagePlans?: Partial<Record<SellingPartnerOperation, UsagePlan>>;
  /** Listing feeds (JSON_LISTINGS_FEED) accepted per sliding window; beyond: 429. */
  listingFeedWindow?: { max: number; windowMs: number };
  /** How long an upload or download URL stays valid (Amazon: 5 minutes). */
  urlTtlMs?: number;
  /** A document above this is refused with a FATAL feed (Amazon: keep feeds under ~10 MiB). */
  maxFeedBytes?: number;
  /** Product types the marketplace knows; any other is a per-message error. */
  productTypes?: string[];
  clock?: SimulatorClock;
}

export interface Listing {
  sku: string;
  productType: string;
  attributes: Record<string, unknown[]>;
  createdDate: string;
  lastUpdatedDate: string;
}

export interface ReportIssue {
  messageId: number;
  sku?: string;
  code: string;
  severity: "ERROR" | "WARNING";
  message: string;
  attributeName?: string;
}

export interface ProcessingReport {
  header: { sellerId: string; version: "2.0"; feedId: string };
  issues: ReportIssue[];
  summary: { errors: number; warnings: number; messagesProcessed: number; messagesAccepted: number; messagesInvalid: number };
}

export interface SimulatedFeed {
  feedId: string;
  feedType: string;
  marketplaceIds: string[];
  inputFeedDocumentId: string;
  createdAt: number;
  processingStatus: "IN_QUEUE" | "IN_PROGRESS" | "DONE" | "FATAL" | "CANCELLED";
  resultFeedDocumentId?: string;
  /** Messages the document carried (0 when it could not be read). */
  messages: number;
}

export interface SellingPartnerStats {
  requests: number;
  tooManyRequests: number;
  byOperation: Partial<Record<SellingPartnerOperation | "upload" | "download" | "token", number>>;
  feedsCreated: number;
  messagesAccepted: number;
  messagesInvalid: number;
  /** Accepted messages whose change was not applied (the accept-without-apply switch). */
  acceptedNotApplied: number;
  /** Calls refused for their access token (missing, unknown, expired, or refused on purpose). */
  unauthorized: number;
}

export interface SellingPartnerSimulator {
  url: string;
  sellerId: string;
  marketplaceId: string;
  /** The listing as getListingsItem serves it; undefined: no such SKU. */
  listing(sku: string): Listing | undefined;
  feeds(): SimulatedFeed[];
  /** The parsed document a feed was created from. */
  feedDocument(feedId: string): unknown;
  report(feedId: string): ProcessingReport | undefined;
  /** On: feeds report messages accepted but listings stay as they were (confirmation must catch it). */
  acceptWithoutApplying(on: boolean): void;
  /** LWA tokens issued so far (refreshes). */
  tokensIssued(): number;
  /** Every issued LWA token lapses now (the next call with one is refused as expired). */
  expireTokens(): void;
  /**
   * The next `calls` API calls are answered 401 Unauthorized whatever token they carry (Amazon
   * stopped honouring it; `Infinity`: every call from now on, until set back to 0).
   */
  refuseAccessTokens(calls: number): void;
  /** When each 429 was answered, and for which operation. */
  throttled: Array<{ at: number; operation: string }>;
  stats(): SellingPartnerStats;
  onChange(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

const DEFAULT_PRODUCT_TYPES = ["PRODUCT", "SHIRT", "PANTS", "SHOES", "HAT", "LUGGAGE", "HOME", "KITCHEN", "TOYS_AND_GAMES", "SPORTING_GOODS", "BEAUTY", "JEWELRY", "WATCH"];

interface StoredDocument {
  id: string;
  kind: "input" | "report";
  contentType: string;
  urlExpiresAt: number;
  content?: string | Buffer;
}

function amazonError(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { errors: [{ code, message, details: "" }] }, headers);
}

/** Starts the simulator on 127.0.0.1 (`port` 0 or absent: any free port). */
export async function startSellingPartnerSimulator(options: SellingPartnerSimulatorOptions = {}): Promise<SellingPartnerSimulator> {
  const clock = options.clock ?? realClock;
  const sellerId = options.sellerId ?? "A1LOCKSTEPSELLER";
  const marketplaceId = options.marketplaceId ?? "ATVPDKIKX0DER";
  const processingDelayMs = options.processingDelayMs ?? 2_000;
  const urlTtlMs = options.urlTtlMs ?? 300_000;
  const maxFeedBytes = options.maxFeedBytes ?? 10 * 1024 * 1024;
  const window = options.listingFeedWindow ?? AMAZON_LISTING_FEED_WINDOW;
  const productTypes = new Set(options.productTypes ?? DEFAULT_PRODUCT_TYPES);
  const buckets = Object.fromEntries(
    (Object.keys(AMAZON_USAGE_PLANS) as SellingPartnerOperation[]).map((operation) => {
      const plan = options.usagePlans?.[operation] ?? AMAZON_USAGE_PLANS[operation];
      return [operation, { plan, bucket: new TokenBucket({ capacity: plan.burst, refillPerSecond: plan.ratePerSecond }, clock) }];
    }),
  ) as Record<SellingPartnerOperation, { plan: UsagePlan; bucket: TokenBucket }>;
  const listingFeedTimes: number[] = [];
  const documents = new Map<string, StoredDocument>();
  const feeds = new Map<string, SimulatedFeed>();
  const parsedDocuments = new Map<string, unknown>();
  const reports = new Map<string, ProcessingReport>();
  /** Issued LWA access tokens and when each expires. */
  const issued = new Map<string, number>();

  function issueToken(body: string, response: ServerResponse): void {
    const form = new URLSearchParams(body);
    const lwa = options.lwa;
    if (!lwa || form.get("grant_type") !== "refresh_token") return sendJson(response, 400, { error: "unsupported_grant_type", error_description: "grant_type must be refresh_token" });
    if (form.get("client_id") !== lwa.clientId || form.get("client_secret") !== lwa.clientSecret) return sendJson(response, 401, { error: "invalid_client", error_description: "Client authentication failed" });
    if (form.get("refresh_token") !== lwa.refreshToken) return sendJson(response, 400, { error: "invalid_grant", error_description: "The request has an invalid grant parameter : refresh_token" });
    const token = `Atza|${randomBytes(24).toString("base64url")}`;
    const ttlMs = lwa.tokenTtlMs ?? 3_600_000;
    issued.set(token, clock.now() + ttlMs);
    sendJson(response, 200, { access_token: token, token_type: "bearer", expires_in: Math.floor(ttlMs / 1000), refresh_token: lwa.refreshToken });
  }
  const listings = new Map<string, Listing>();
  const throttled: SellingPartnerSimulator["throttled"] = [];
  const stats: SellingPartnerStats = { requests: 0, tooManyRequests: 0, byOperation: {}, feedsCreated: 0, messagesAccepted: 0, messagesInvalid: 0, acceptedNotApplied: 0, unauthorized: 0 };
  let refusals = 0;
  const changes = new ChangeFeed();
  let withoutApplying = false;
  const applyDelayMs = options.applyDelayMs ?? 0;
  /** Accepted messages waiting for their time to reach the listings, oldest first. */
  const pendingApplications: Array<{ at: number; message: Parameters<typeof apply>[0] }> = [];
  let sequence = 0;
  const nextId = (prefix: string) => `${prefix}${String(++sequence).padStart(10, "0")}`;

  /** Feeds whose time came are processed (lazily, on any request: the clock decides, no timers). */
  function advance(): void {
    const now = clock.now();
    for (const feed of feeds.values()) {
      if (feed.processingStatus === "IN_QUEUE" && now >= feed.createdAt + processingDelayMs / 2) feed.processingStatus = "IN_PROGRESS";
      if (feed.processingStatus === "IN_PROGRESS" && now >= feed.createdAt + processingDelayMs) process(feed);
    }
    while (pendingApplications.length > 0 && pendingApplications[0]!.at <= now) apply(pendingApplications.shift()!.message);
  }

  function process(feed: SimulatedFeed): void {
    const input = documents.get(feed.inputFeedDocumentId)!;
    const reportId = nextId("amzn1.tortuga.4.na.");
    const fatal = (message: string) => {
      feed.processingStatus = "FATAL";
      reports.set(feed.feedId, { header: { sellerId, version: "2.0", feedId: feed.feedId }, issues: [{ messageId: 0, code: "4000004", severity: "ERROR", message }], summary: { errors: 1, warnings: 0, messagesProcessed: 0, messagesAccepted: 0, messagesInvalid: 0 } });
    };
    let parsed: { header?: { sellerId?: unknown; version?: unknown }; messages?: unknown } | undefined;
    try {
      parsed = JSON.parse(String(input.content ?? "")) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    parsedDocuments.set(feed.feedId, parsed);
    if (Buffer.byteLength(input.content ?? "") > maxFeedBytes) fatal(`The feed document is larger than ${maxFeedBytes} bytes.`);
    else if (!parsed || typeof parsed !== "object") fatal("The feed document is not valid JSON.");
    else if (parsed.header?.version !== "2.0" || parsed.header.sellerId !== sellerId) fatal(`The header must carry version "2.0" and sellerId "${sellerId}".`);
    else if (!Array.isArray(parsed.messages) || parsed.messages.length < 1 || parsed.messages.length > 25_000) fatal("messages must hold 1 to 25,000 messages.");
    else {
      const messages = parsed.messages as unknown[];
      feed.messages = messages.length;
      const issues: ReportIssue[] = [];
      const seen = new Set<number>();
      let accepted = 0;
      for (const raw of messages) {
        const found = checkMessage(raw, seen, productTypes);
        if (found.length > 0) {
          issues.push(...found);
          continue;
        }
        accepted++;
        const message = raw as { sku: string; productType: string; operationType: string; patches?: Array<{ op: string; path: string; value?: unknown[] }> };
        if (withoutApplying) {
          stats.acceptedNotApplied++;
          continue;
        }
        if (applyDelayMs > 0) pendingApplications.push({ at: feed.createdAt + processingDelayMs + applyDelayMs, message });
        else apply(message);
      }
      const invalid = new Set(issues.map((issue) => issue.messageId)).size;
      stats.messagesAccepted += accepted;
      stats.messagesInvalid += invalid;
      feed.processingStatus = "DONE";
      reports.set(feed.feedId, {
        header: { sellerId, version: "2.0", feedId: feed.feedId },
        issues,
        summary: { errors: issues.length, warnings: 0, messagesProcessed: messages.length, messagesAccepted: accepted, messagesInvalid: invalid },
      });
    }
    documents.set(reportId, { id: reportId, kind: "report", contentType: "application/json", urlExpiresAt: Number.POSITIVE_INFINITY, content: options.gzipReports ? gzipSync(JSON.stringify(reports.get(feed.feedId))) : JSON.stringify(reports.get(feed.feedId)) });
    feed.resultFeedDocumentId = reportId;
    changes.emit({ kind: "marketplace/feed_processed", shop: sellerId, occurredAt: new Date(clock.now()).toISOString(), payload: { feedId: feed.feedId, processingStatus: feed.processingStatus, summary: reports.get(feed.feedId)?.summary } });
  }

  function apply(message: { sku: string; productType: string; operationType: string; patches?: Array<{ op: string; path: string; value?: unknown[] }> }): void {
    const at = new Date(clock.now()).toISOString();
    if (message.operationType === "DELETE") {
      listings.delete(message.sku);
      return;
    }
    const listing = listings.get(message.sku) ?? { sku: message.sku, productType: message.productType, attributes: {}, createdDate: at, lastUpdatedDate: at };
    listing.productType = message.productType;
    listing.lastUpdatedDate = at;
    for (const patch of message.patches ?? []) {
      const attribute = patch.path.replace(/^\/attributes\//, "");
      if (patch.op === "delete") delete listing.attributes[attribute];
      else listing.attributes[attribute] = patch.value ?? [];
    }
    listings.set(message.sku, listing);
  }

  function operationOf(method: string, path: string): SellingPartnerOperation | "upload" | "download" | "token" | undefined {
    if (method === "POST" && path === "/feeds/2021-06-30/documents") return "createFeedDocument";
    if (method === "GET" && /^\/feeds\/2021-06-30\/documents\/[^/]+$/.test(path)) return "getFeedDocument";
    if (method === "POST" && path === "/feeds/2021-06-30/feeds") return "createFeed";
    if (method === "GET" && /^\/feeds\/2021-06-30\/feeds\/[^/]+$/.test(path)) return "getFeed";
    if (method === "GET" && /^\/listings\/2021-08-01\/items\/[^/]+\/[^/]+$/.test(path)) return "getListingsItem";
    if (method === "GET" && /^\/listings\/2021-08-01\/items\/[^/]+$/.test(path)) return "searchListingsItems";
    if (method === "PUT" && path.startsWith("/uploads/")) return "upload";
    if (method === "POST" && path === "/auth/o2/token") return "token";
    if (method === "GET" && path.startsWith("/downloads/")) return "download";
    return undefined;
  }

  function tooMany(response: ServerResponse, operation: string, waitMs: number, limit: string): void {
    stats.tooManyRequests++;
    throttled.push({ at: clock.now(), operation });
    amazonError(response, 429, "QuotaExceeded", "You exceeded your quota for the requested resource.", { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))), "x-amzn-ratelimit-limit": limit });
  }

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    stats.requests++;
    const url = new URL(request.url ?? "/", "http://x");
    const method = request.method ?? "GET";
    const path = url.pathname;
    const operation = operationOf(method, path);
    if (!operation) return amazonError(response, 404, "NotFound", `No operation at ${method} ${path}`);
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    const body = await readBody(request, maxFeedBytes + 1024 * 1024).catch(() => undefined);
    if (body === undefined) return amazonError(response, 413, "RequestEntityTooLarge", "The body is too large.");
    advance();

    // Presigned URLs: no access token, only the signature (here: the id) and its expiry.
    if (operation === "upload" || operation === "download") {
      const id = decodeURIComponent(path.split("/")[2] ?? "");
      const document = documents.get(id);
      if (!document || (operation === "upload") !== (document.kind === "input")) return amazonError(response, 404, "NoSuchKey", "The specified key does not exist.");
      if (operation === "upload") {
        if (clock.now() > document.urlExpiresAt) return amazonError(response, 403, "AccessDenied", "Request has expired");
        document.content = body;
        response.writeHead(200, { "content-length": "0" });
        return void response.end();
      }
      response.writeHead(200, { "content-type": document.contentType, "content-length": Buffer.byteLength(document.content ?? "") });
      return void response.end(document.content ?? "");
    }

    if (operation === "token") return issueToken(body, response);
    const given = request.headers["x-amz-access-token"];
    const issuedUntil = typeof given === "string" ? issued.get(given) : undefined;
    if (refusals > 0) {
      refusals--;
      stats.unauthorized++;
      return amazonError(response, 401, "Unauthorized", "Access to requested resource is denied.");
    }
    if (issuedUntil !== undefined && clock.now() >= issuedUntil) {
      // What the SP-API answers for an expired LWA token.
      stats.unauthorized++;
      return amazonError(response, 403, "Unauthorized", "Access to requested resource is denied. The access token you provided has expired.");
    }
    if ((options.accessToken || options.lwa) && issuedUntil === undefined && given !== options.accessToken) {
      stats.unauthorized++;
      return amazonError(response, 403, "Unauthorized", "Access to requested resource is denied.");
    }
    const { plan, bucket } = buckets[operation];
    const limit = String(plan.ratePerSecond);
    if (!bucket.tryTake(1)) return tooMany(response, operation, bucket.waitFor(1), limit);
    const base = `http://127.0.0.1:${running.port}`;

    let input: Record<string, unknown> = {};
    if (method === "POST") {
      try {
        input = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return amazonError(response, 400, "InvalidInput", "The request body is not JSON.");
      }
    }

    switch (operation) {
      case "createFeedDocument": {
        if (typeof input.contentType !== "string" || input.contentType === "") return amazonError(response, 400, "InvalidInput", "contentType is required.");
        const id = nextId("amzn1.tortuga.3.");
        documents.set(id, { id, kind: "input", contentType: input.contentType, urlExpiresAt: clock.now() + urlTtlMs });
        return sendJson(response, 201, { feedDocumentId: id, url: `${base}/uploads/${encodeURIComponent(id)}?X-Amz-Expires=${Math.round(urlTtlMs / 1000)}` });
      }
      case "createFeed": {
        const feedType = input.feedType;
        const marketplaceIds = input.marketplaceIds;
        const documentId = input.inputFeedDocumentId;
        if (typeof feedType !== "string" || !Array.isArray(marketplaceIds) || marketplaceIds.length < 1 || typeof documentId !== "string") {
          return amazonError(response, 400, "InvalidInput", "feedType, marketplaceIds and inputFeedDocumentId are required.");
        }
        if (!marketplaceIds.includes(marketplaceId)) return amazonError(response, 400, "InvalidInput", `Unknown marketplace ${String(marketplaceIds[0])}.`);
        const document = documents.get(documentId);
        if (!document || document.kind !== "input" || document.content === undefined) return amazonError(response, 400, "InvalidInput", "inputFeedDocumentId does not name an uploaded feed document.");
        if (feedType === "JSON_LISTINGS_FEED") {
          const now = clock.now();
          while (listingFeedTimes.length > 0 && listingFeedTimes[0]! <= now - window.windowMs) listingFeedTimes.shift();
          if (listingFeedTimes.length >= window.max) {
            bucket.refund(1);
            return tooMany(response, operation, listingFeedTimes[0]! + window.windowMs - now, `${window.max}/${window.windowMs}ms`);
          }
          listingFeedTimes.push(now);
        }
        const feedId = String(50_000_000_000 + ++sequence);
        feeds.set(feedId, { feedId, feedType, marketplaceIds: marketplaceIds.map(String), inputFeedDocumentId: documentId, createdAt: clock.now(), processingStatus: "IN_QUEUE", messages: 0 });
        stats.feedsCreated++;
        return sendJson(response, 202, { feedId });
      }
      case "getFeed": {
        const feed = feeds.get(decodeURIComponent(path.split("/").pop()!));
        if (!feed) return amazonError(response, 404, "NotFound", "The requested feed does not exist.");
        const done = feed.processingStatus === "DONE" || feed.processingStatus === "FATAL";
        return sendJson(response, 200, {
          feedId: feed.feedId,
          feedType: feed.feedType,
          marketplaceIds: feed.marketplaceIds,
          createdTime: new Date(feed.createdAt).toISOString(),
          processingStatus: feed.processingStatus,
          ...(feed.processingStatus !== "IN_QUEUE" ? { processingStartTime: new Date(feed.createdAt + processingDelayMs / 2).toISOString() } : {}),
          ...(done ? { processingEndTime: new Date(feed.createdAt + processingDelayMs).toISOString(), resultFeedDocumentId: feed.resultFeedDocumentId } : {}),
        });
      }
      case "getFeedDocument": {
        const id = decodeURIComponent(path.split("/").pop()!);
        const document = documents.get(id);
        if (!document) return amazonError(response, 404, "NotFound", "The requested feed document does not exist.");
        const compressed = document.kind === "report" && options.gzipReports;
        return sendJson(response, 200, { feedDocumentId: id, url: `${base}/downloads/${encodeURIComponent(id)}`, ...(compressed ? { compressionAlgorithm: "GZIP" } : {}) });
      }
      case "getListingsItem": {
        const [, , , , seller, sku] = path.split("/").map(decodeURIComponent);
        if (seller !== sellerId) return amazonError(response, 403, "Unauthorized", "The seller id does not match the access token.");
        if (!url.searchParams.get("marketplaceIds")) return amazonError(response, 400, "InvalidInput", "marketplaceIds is required.");
        const listing = listings.get(sku!);
        if (!listing) return amazonError(response, 404, "NOT_FOUND", `SKU '${sku}' not found in marketplace ${marketplaceId}`);
        return sendJson(response, 200, itemOf(listing));
      }
      case "searchListingsItems": {
        const seller = decodeURIComponent(path.split("/")[4] ?? "");
        if (seller !== sellerId) return amazonError(response, 403, "Unauthorized", "The seller id does not match the access token.");
        if (!url.searchParams.get("marketplaceIds")) return amazonError(response, 400, "InvalidInput", "marketplaceIds is required.");
        const identifiers = (url.searchParams.get("identifiers") ?? "").split(",").filter((sku) => sku !== "");
        if (url.searchParams.get("identifiersType") !== "SKU" || identifiers.length === 0 || identifiers.length > AMAZON_SEARCH_SKUS) {
          return amazonError(response, 400, "InvalidInput", `identifiersType=SKU with 1 to ${AMAZON_SEARCH_SKUS} identifiers is required.`);
        }
        const items = identifiers.flatMap((sku) => (listings.has(sku) ? [itemOf(listings.get(sku)!)] : []));
        return sendJson(response, 200, { numberOfResults: items.length, items });
      }
    }
  }

  function itemOf(listing: Listing) {
    const itemName = (listing.attributes.item_name?.[0] as { value?: string } | undefined)?.value;
    return {
      sku: listing.sku,
      summaries: [{ marketplaceId, productType: listing.productType, itemName, createdDate: listing.createdDate, lastUpdatedDate: listing.lastUpdatedDate, status: ["BUYABLE"] }],
      attributes: listing.attributes,
    };
  }

  const running = await listen(answer, options.port ?? 0);

  return {
    url: running.url,
    sellerId,
    marketplaceId,
    tokensIssued: () => issued.size,
    expireTokens: () => {
      for (const token of issued.keys()) issued.set(token, clock.now());
    },
    refuseAccessTokens: (calls) => {
      refusals = calls;
    },
    listing: (sku) => {
      advance();
      return listings.get(sku);
    },
    feeds: () => {
      advance();
      return [...feeds.values()];
    },
    feedDocument: (feedId) => parsedDocuments.get(feedId),
    report: (feedId) => {
      advance();
      return reports.get(feedId);
    },
    acceptWithoutApplying: (on) => {
      withoutApplying = on;
    },
    throttled,
    stats: () => ({ ...stats, byOperation: { ...stats.byOperation } }),
    onChange: (listener) => changes.onChange(listener),
    close: running.close,
  };
}

const OPERATIONS = new Set(["UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE"]);
const PATCH_OPS = new Set(["add", "replace", "merge", "delete"]);

/** What Amazon would report for one message: empty when it is accepted. */
function checkMessage(raw: unknown, seen: Set<number>, productTypes: Set<string>): ReportIssue[] {
  const message = (raw ?? {}) as { messageId?: unknown; sku?: unknown; operationType?: unknown; productType?: unknown; patches?: unknown };
  const messageId = typeof message.messageId === "number" ? message.messageId : 0;
  const sku = typeof message.sku === "string" ? message.sku : undefined;
  const issue = (code: string, text: string, attributeName?: string): ReportIssue => ({ messageId, ...(sku ? { sku } : {}), code, severity: "ERROR", message: text, ...(attributeName ? { attributeName } : {}) });
  if (!Number.isInteger(messageId) || messageId < 1 || seen.has(messageId)) return [issue("4000001", "messageId must be a whole number ≥ 1, unique in the feed.")];
  seen.add(messageId);
  if (!sku) return [issue("90220", "'[sku]' is required but not supplied.")];
  if (typeof message.operationType !== "string" || !OPERATIONS.has(message.operationType)) return [issue("4000001", `operationType '${String(message.operationType)}' is not one of UPDATE, PARTIAL_UPDATE, PATCH, DELETE.`)];
  if (message.operationType === "DELETE") return [];
  if (typeof message.productType !== "string" || message.productType === "") return [issue("90220", "'[productType]' is required but not supplied.")];
  if (!productTypes.has(message.productType)) return [issue("4000003", `The provided product type '${message.productType}' is not valid for this marketplace.`)];
  if (message.operationType !== "PATCH") return [];
  if (!Array.isArray(message.patches) || message.patches.length === 0) return [issue("90220", "'[patches]' is required but not supplied.")];
  const issues: ReportIssue[] = [];
  for (const patch of message.patches as Array<{ op?: unknown; path?: unknown; value?: unknown }>) {
    if (typeof patch.op !== "string" || !PATCH_OPS.has(patch.op) || typeof patch.path !== "string" || !patch.path.startsWith("/attributes/")) {
      issues.push(issue("4000001", "A patch needs op add|replace|merge|delete and a path /attributes/<name>."));
      continue;
    }
    if (patch.op === "delete") continue;
    const value = Array.isArray(patch.value) ? (patch.value[0] as Record<string, unknown> | undefined) : undefined;
    if (patch.path === "/attributes/purchasable_offer") {
      const price = ((value?.our_price as Array<{ schedule?: Array<{ value_with_tax?: unknown }> }> | undefined)?.[0]?.schedule?.[0])?.value_with_tax;
      if (typeof price !== "number" || !Number.isFinite(price)) {
        issues.push(issue("99022", "The field 'prices' for the attribute 'purchasable_offer.our_price' does not have enough values. The required minimum is '1' value(s).", "purchasable_offer.our_price"));
      } else if (price < 0) issues.push(issue("99010", `The value '${price}' for 'purchasable_offer.our_price' must be at least 0.`, "purchasable_offer.our_price"));
      if (typeof value?.currency !== "string" || !/^[A-Z]{3}$/.test(value.currency)) issues.push(issue("90220", "'[purchasable_offer.currency]' is required but not supplied.", "purchasable_offer.currency"));
    } else if (patch.path === "/attributes/fulfillment_availability") {
      const quantity = value?.quantity;
      if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 0) {
        issues.push(issue("90244", `The value '${String(quantity)}' for 'fulfillment_availability.quantity' is not a whole number ≥ 0.`, "fulfillment_availability.quantity"));
      }
      if (typeof value?.fulfillment_channel_code !== "string") issues.push(issue("90220", "'[fulfillment_availability.fulfillment_channel_code]' is required but not supplied.", "fulfillment_availability.fulfillment_channel_code"));
    } else if (patch.path === "/attributes/item_name") {
      const name = value?.value;
      if (typeof name !== "string" || name.trim() === "") issues.push(issue("90220", "'[item_name]' is required but not supplied.", "item_name"));
    }
  }
  return issues;
}
