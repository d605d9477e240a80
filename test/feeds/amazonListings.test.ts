import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDestination, loadDestination, requestRun } from "../../app/batching/destinations.server";
import { adapterRegistry } from "../../app/batching/adapters";
import { runDueDestination } from "../../app/batching/runs.server";
import type { Destination, PushedItem } from "../../app/batching/types";
import { amazonListingsAdapter, type AmazonListingsDeps, FeedChunker } from "../../app/feeds/amazonListings.server";
import { sellableQuantities } from "../../app/feeds/amazonQuantities.server";
import { createLimiterRegistry, type LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import type { DomainEvent } from "../../app/events/domainEvents";
import { type SellingPartnerSimulator, startSellingPartnerSimulator } from "../../simulators/marketplace/sellingPartner";
import { applyInTransaction, ENCRYPTION_KEY, pipelineDeps, priceChange, seedShop } from "../batching/pipelineFixture";
import { manualClock } from "../helpers/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { feedSchemaErrors } from "../simulators/amazonListingsSchemas";

// The Amazon listings feed kind on the delayed-half pipeline, end to end against the Selling
// Partner simulator: chunking, Amazon's limits kept by the limiters (no 429 ever collected),
// per-message issues back onto SKUs, validation rejects, the accept-without-apply case caught by
// reconciliation's read-back, sellable quantities, coalescing of what arrives during a feed.

const TOKEN = "Atza|amazon-test-token";
const FAST = { ratePerSecond: 1_000, burst: 1_000 };
/** Every operation fast but createFeed, which the listing-feed window governs. */
const USAGE_PLANS = { createFeedDocument: FAST, createFeed: { ratePerSecond: 1_000, burst: 15 }, getFeed: FAST, getFeedDocument: FAST, searchListingsItems: FAST, getListingsItem: FAST };
const WINDOW = { max: 4, windowMs: 1_000 };

let db: TestDatabase;
let sim: SellingPartnerSimulator;
let registry: LimiterRegistry;
/** Lets a test act when a request leaves (e.g. a change arriving while a feed is out). */
let onRequest: ((url: string, method: string) => Promise<void> | void) | undefined;
let failNext = 0;
const trackingFetch: typeof fetch = async (input, init) => {
  await onRequest?.(String(input), init?.method ?? "GET");
  if (failNext > 0) {
    failNext--;
    throw new TypeError("fetch failed");
  }
  return fetch(input, init);
};

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSellingPartnerSimulator({ accessToken: TOKEN, sellerId: "A2TESTSELLER", processingDelayMs: 60, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW });
  registry = createLimiterRegistry();
}, 180_000);
afterAll(async () => {
  await registry.close();
  await sim.close();
  await db.close();
});
beforeEach(async () => {
  onRequest = undefined;
  failNext = 0;
  sim.acceptWithoutApplying(false);
  await db.sql.query(`UPDATE destination SET enabled = false`);
});

const deps = (extra: Partial<AmazonListingsDeps> = {}): AmazonListingsDeps => ({ registry, fetch: trackingFetch, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, quantities: sellableQuantities(db.sql), ...extra });
const adapter = () => amazonListingsAdapter(deps());

async function amazonDestination(shopId: string, options: Record<string, unknown> = {}, receives = ["price"]) {
  return createDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter()]) }, shopId, {
    name: `Amazon ${Math.random().toString(36).slice(2, 8)}`,
    kind: "amazon_listings",
    endpoint: sim.url,
    credentials: { accessToken: TOKEN },
    receives,
    mode: "live",
    limits: { requestsPerSecond: 5, concurrency: 2, batchSize: 100 },
    options: { sellerId: "A2TESTSELLER", pollIntervalMs: 10, confirmAfterMs: 0, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW, ...options },
  });
}

const loadAmazonDestination = (id: string) => loadDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY }, id);

async function run(destinationId: string) {
  await requestRun(db.sql, undefined, destinationId, "sync_now");
  return runDueDestination(pipelineDeps(db, adapter(), { now: new Date() }), destinationId);
}

async function itemsOf(runId: string) {
  const rows = await db.sql.query<{ sku: string; outcome: string; reason: string | null; batch_id: string | null }>(`SELECT sku, outcome, reason, batch_id FROM run_item WHERE run_id = $1::bigint ORDER BY sku`, [runId]);
  return new Map(rows.map((row) => [row.sku, row]));
}

const offerPrice = (sku: string) => (sim.listing(sku)?.attributes.purchasable_offer?.[0] as { our_price: Array<{ schedule: Array<{ value_with_tax: number }> }> } | undefined)?.our_price[0]!.schedule[0]!.value_with_tax;
const feedsSince = (before: number) => sim.feeds().slice(before);
const at = new Date(Date.UTC(2026, 11, 1));

describe("a run publishes JSON_LISTINGS_FEED documents through the five steps", () => {
  it("chunks into feeds of the message limit, maps each messageId's issues back to its SKU, and the listings hold what was accepted", async () => {
    const shop = await seedShop(db, 12);
    const destination = await amazonDestination(shop.shopId, { maxMessagesPerFeed: 5, productType: { default: "PRODUCT", bySkuPrefix: { "SKU-7": "SPACESHIP" } } });
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, `${i + 1}.50`, at)));
    const before = sim.feeds().length;
    const outcome = await run(destination.id);

    expect(outcome).toMatchObject({ status: "partial", variance: 0 });
    const feeds = feedsSince(before);
    expect(feeds.map((feed) => [feed.processingStatus, feed.messages])).toEqual([
      ["DONE", 5],
      ["DONE", 5],
      ["DONE", 2],
    ]);
    for (const feed of feeds) {
      const document = sim.feedDocument(feed.feedId) as { header: unknown; messages: Array<{ messageId: number; operationType: string }> };
      expect(feedSchemaErrors(document)).toEqual([]);
      expect(document.header).toEqual({ sellerId: "A2TESTSELLER", version: "2.0", issueLocale: "en_US" });
      expect(document.messages.map((message) => message.messageId)).toEqual(document.messages.map((_, i) => i + 1));
    }
    const items = await itemsOf(outcome!.runId);
    expect(items.get("SKU-7")).toMatchObject({ outcome: "rejected", reason: expect.stringContaining("SPACESHIP") });
    expect(items.get("SKU-7")!.reason).toContain("4000003");
    for (const sku of shop.skus.filter((sku) => sku !== "SKU-7")) {
      expect(items.get(sku)?.outcome, sku).toBe("accepted");
      expect(items.get(sku)?.batch_id).toMatch(/^amazon-feed-\d+$/);
    }
    expect(offerPrice("SKU-3")).toBe(3.5);
    expect(offerPrice("SKU-12")).toBe(12.5);
    expect(sim.listing("SKU-7")).toBeUndefined();
    expect(outcome!.signed!.manifest.counts).toMatchObject({ itemsAfterCoalescing: 12, sent: 11, rejected: 1 });
    expect(sim.stats().tooManyRequests).toBe(0);
  });

  it("keeps inside the listing-feed window and createFeed's plan: more feeds than the window takes, no 429 collected", async () => {
    const shop = await seedShop(db, 9);
    const destination = await amazonDestination(shop.shopId, { maxMessagesPerFeed: 1 });
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "2.00", at)));
    const before = sim.feeds().length;
    const outcome = await run(destination.id);
    expect(outcome?.status).toBe("succeeded");
    const feeds = feedsSince(before);
    expect(feeds).toHaveLength(9);
    // No window of windowMs holds more than the window's feeds (the simulator would have said 429).
    for (const feed of feeds) expect(feeds.filter((other) => other.createdAt >= feed.createdAt && other.createdAt < feed.createdAt + WINDOW.windowMs).length).toBeLessThanOrEqual(WINDOW.max);
    expect(sim.throttled).toEqual([]);
    expect(sim.stats().tooManyRequests).toBe(0);
  });

  it("cuts a feed by bytes as well: every document under the byte limit", async () => {
    const shop = await seedShop(db, 10);
    const destination = await amazonDestination(shop.shopId, { maxFeedBytes: 1_100 });
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "3.00", at)));
    const before = sim.feeds().length;
    const outcome = await run(destination.id);
    expect(outcome?.status).toBe("succeeded");
    const feeds = feedsSince(before);
    expect(feeds.length).toBeGreaterThan(1);
    expect(feeds.reduce((sum, feed) => sum + feed.messages, 0)).toBe(10);
    for (const feed of feeds) expect(Buffer.byteLength(JSON.stringify(sim.feedDocument(feed.feedId)))).toBeLessThanOrEqual(1_100);
  });

  it("tells Amazon Lockstep's sellable quantity (safety stock taken off), and reconciliation finds it on the listing", async () => {
    const shop = await seedShop(db, 2);
    await db.sql.query(`INSERT INTO inventory_policy (shop_id, default_safety_stock) VALUES ($1, 2)`, [shop.shopId]);
    const destination = await amazonDestination(shop.shopId, {}, ["stock"]);
    const level = (n: number, available: number): DomainEvent => ({ type: "InventoryLevelChanged", shopId: shop.shopId, occurredAt: new Date(), inventoryItemExternalId: `I${n}`, locationExternalId: "L1", available }) as DomainEvent;
    await applyInTransaction(db, [level(1, 10), level(2, 1)]);
    const outcome = await run(destination.id);
    expect(outcome).toMatchObject({ status: "succeeded", variance: 0 });
    expect(sim.listing("SKU-1")?.attributes.fulfillment_availability).toEqual([{ fulfillment_channel_code: "DEFAULT", quantity: 8 }]);
    expect(sim.listing("SKU-2")?.attributes.fulfillment_availability).toEqual([{ fulfillment_channel_code: "DEFAULT", quantity: 0 }]);
  });

  it("changes arriving while a feed is out coalesce into the next run's feed", async () => {
    const shop = await seedShop(db, 3);
    const destination = await amazonDestination(shop.shopId);
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "4.20", at)));
    let arrived = false;
    onRequest = async (url, method) => {
      if (arrived || method !== "POST" || !url.endsWith("/feeds/2021-06-30/feeds")) return;
      arrived = true;
      const later = (price: string, minutes: number) => [1, 2].map((n) => priceChange(shop.shopId, n, price, new Date(at.getTime() + minutes * 60_000)));
      await applyInTransaction(db, later("4.50", 1));
      await applyInTransaction(db, later("5.00", 2));
    };
    const first = await run(destination.id);
    expect(first?.status).toBe("succeeded");
    expect(offerPrice("SKU-1")).toBe(4.2);
    onRequest = undefined;
    const before = sim.feeds().length;
    const second = await run(destination.id);
    expect(second?.signed?.manifest.counts).toMatchObject({ changesIn: 4, itemsAfterCoalescing: 2, sent: 2 });
    const feeds = feedsSince(before);
    expect(feeds).toHaveLength(1);
    const document = sim.feedDocument(feeds[0]!.feedId) as { messages: Array<{ sku: string }> };
    expect(document.messages.map((message) => message.sku).sort()).toEqual(["SKU-1", "SKU-2"]);
    expect(offerPrice("SKU-1")).toBe(5);
    expect(offerPrice("SKU-3")).toBe(4.2);
  });
});

describe("confirmation: accepted is not applied", () => {
  it("a marketplace that reports accepted without applying is caught by the read-back: unconfirmed items counted and listed", async () => {
    const shop = await seedShop(db, 4);
    const destination = await amazonDestination(shop.shopId);
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "9.99", at)));
    sim.acceptWithoutApplying(true);
    const outcome = await run(destination.id);
    expect(outcome?.status).toBe("succeeded");
    expect([...(await itemsOf(outcome!.runId)).values()].every((item) => item.outcome === "accepted")).toBe(true);
    expect(outcome?.variance).toBe(1);
    const [alert] = await db.sql.query<{ mismatched: number; sent: number; items: Array<{ sku: string; sent: { price: number }; held: { price: number } | null }> }>(
      `SELECT mismatched, sent, items FROM reconciliation_alert WHERE run_id = $1::bigint`,
      [outcome!.runId],
    );
    expect(alert).toMatchObject({ mismatched: 4, sent: 4 });
    // The listings still hold what earlier tests' feeds left there (the simulator is shared), or nothing.
    expect(alert!.items.map((item) => item.sku).sort()).toEqual([...shop.skus].sort());
    for (const item of alert!.items) {
      expect(item.sent).toEqual({ price: 9.99, currency: "USD" });
      expect(item.held?.price).not.toBe(9.99);
    }
    expect(sim.stats().acceptedNotApplied).toBeGreaterThanOrEqual(4);
  });

  it("waits confirmAfterMs before reading back, so listings Amazon applies after the report are confirmed, not flagged", async () => {
    const lagging = await startSellingPartnerSimulator({ accessToken: TOKEN, sellerId: "A2TESTSELLER", processingDelayMs: 20, applyDelayMs: 400, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW });
    try {
      const shop = await seedShop(db, 3);
      const hasty = await amazonDestination(shop.shopId);
      const patient = await amazonDestination(shop.shopId, { confirmAfterMs: 1_000 });
      for (const destination of [hasty, patient]) await db.sql.query(`UPDATE destination SET endpoint = $2 WHERE id = $1`, [destination.id, lagging.url]);
      await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "8.80", at)));
      // Read back at once, the listings do not hold the prices yet: every item unconfirmed.
      expect(await run(hasty.id)).toMatchObject({ status: "succeeded", variance: 1 });
      await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "8.90", new Date(at.getTime() + 60_000))));
      expect(await run(patient.id)).toMatchObject({ status: "succeeded", variance: 0 });
    } finally {
      await lagging.close();
    }
  });
});

describe("validation before publish", () => {
  it("rejects items without a price or a product type with the reason, and sends the rest", async () => {
    const shop = await seedShop(db, 3);
    const destination = await amazonDestination(shop.shopId, { productType: { default: null, bySkuPrefix: { "SKU-1": "PRODUCT", "SKU-2": "SHIRT" } } });
    await applyInTransaction(db, [priceChange(shop.shopId, 1, "-1.00", at), priceChange(shop.shopId, 2, "7.00", at), priceChange(shop.shopId, 3, "8.00", at)]);
    const before = sim.feeds().length;
    const outcome = await run(destination.id);
    expect(outcome?.status).toBe("partial");
    const items = await itemsOf(outcome!.runId);
    expect(items.get("SKU-1")).toMatchObject({ outcome: "invalid", reason: expect.stringContaining("not an amount") });
    expect(items.get("SKU-3")).toMatchObject({ outcome: "invalid", reason: expect.stringContaining("no productType") });
    expect(items.get("SKU-2")?.outcome).toBe("accepted");
    const feeds = feedsSince(before);
    expect((sim.feedDocument(feeds[0]!.feedId) as { messages: Array<{ sku: string; productType: string }> }).messages).toEqual([expect.objectContaining({ sku: "SKU-2", productType: "SHIRT" })]);
  });

  it("names a missing title, a bad quantity, a too-long SKU", () => {
    const destination = { options: { sellerId: "A2TESTSELLER" } } as unknown as Destination;
    const base = { shopId: "s", variantId: "v", version: "", occurredAt: "", changeId: "1" };
    const validate = adapter().validate;
    expect(validate({ ...base, kind: "catalog", sku: "A", title: " ", price: "1.00", currency: "USD" } as PushedItem, destination)).toEqual(["no title (item_name)"]);
    expect(validate({ ...base, kind: "catalog", sku: "A", title: "T", price: "", currency: "USD" } as PushedItem, destination)).toEqual(["no price"]);
    expect(validate({ ...base, kind: "stock", sku: "A", available: -3, locations: [] }, destination)).toEqual(["quantity -3 is not a whole number ≥ 0"]);
    expect(validate({ ...base, kind: "stock", sku: "A".repeat(41), available: 1, locations: [] }, destination)).toEqual(["SKU longer than 40 characters (Amazon's limit)"]);
  });

  it("refuses a destination without a seller id or with a bad product type, naming the field", async () => {
    const shop = await seedShop(db, 1);
    const create = (options: Record<string, unknown>) =>
      createDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter()]) }, shop.shopId, { name: "Amazon bad", kind: "amazon_listings", endpoint: sim.url, receives: ["price"], options });
    await expect(create({})).rejects.toMatchObject({ status: 400, message: expect.stringContaining("options.sellerId") });
    await expect(create({ sellerId: "A", productType: { default: "lower case" } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("productType") });
    await expect(create({ sellerId: "A", maxMessagesPerFeed: 30_000 })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("25000") });
    await expect(create({ sellerId: "A", sellerID: "typo" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^options: Unrecognized key: "sellerID"/) });
  });
});

describe("failures", () => {
  it("a feed Amazon refuses as a whole (FATAL) rejects its items with Amazon's reason", async () => {
    const strict = await startSellingPartnerSimulator({ accessToken: TOKEN, sellerId: "A2TESTSELLER", processingDelayMs: 20, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW, maxFeedBytes: 1_200 });
    try {
      const shop = await seedShop(db, 8);
      const destination = await amazonDestination(shop.shopId);
      await db.sql.query(`UPDATE destination SET endpoint = $2 WHERE id = $1`, [destination.id, strict.url]);
      await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "1.25", at)));
      const outcome = await run(destination.id);
      expect(outcome?.status).toBe("partial");
      const items = await itemsOf(outcome!.runId);
      expect(items.get("SKU-1")).toMatchObject({ outcome: "rejected", reason: expect.stringContaining("FATAL") });
      expect(items.get("SKU-1")!.reason).toContain("larger than 1200 bytes");
    } finally {
      await strict.close();
    }
  });

  it("a marketplace that cannot be reached leaves the items to retry; the next attempt resumes the run and delivers them", async () => {
    const shop = await seedShop(db, 2);
    const destination = await amazonDestination(shop.shopId);
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "6.00", at)));
    failNext = 2;
    const failed = await run(destination.id);
    expect(failed?.status).toBe("failed");
    expect([...(await itemsOf(failed!.runId)).values()].map((item) => item.outcome)).toEqual(["to_retry", "to_retry"]);
    const resumed = await run(destination.id);
    expect(resumed).toMatchObject({ runId: failed!.runId, status: "succeeded" });
    expect(offerPrice("SKU-2")).toBe(6);
  });
});

describe("limits lower than configured", () => {
  it("a seller whose account allows less than the destination says gets 429 + Retry-After: the call waits as told and the run still delivers", async () => {
    const slow = await startSellingPartnerSimulator({ accessToken: TOKEN, sellerId: "A2TESTSELLER", processingDelayMs: 20, usagePlans: { ...USAGE_PLANS, createFeedDocument: { ratePerSecond: 1, burst: 1 } }, listingFeedWindow: WINDOW });
    try {
      const shop = await seedShop(db, 2);
      const destination = await amazonDestination(shop.shopId, { maxMessagesPerFeed: 1 });
      await db.sql.query(`UPDATE destination SET endpoint = $2 WHERE id = $1`, [destination.id, slow.url]);
      await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "2.50", at)));
      const outcome = await run(destination.id);
      expect(outcome).toMatchObject({ status: "succeeded", variance: 0 });
      expect(slow.throttled.map((entry) => entry.operation)).toEqual(["createFeedDocument"]);
      expect(slow.stats().byOperation.createFeedDocument).toBe(3);
      expect(slow.feeds()).toHaveLength(2);
    } finally {
      await slow.close();
    }
  });
});

describe("read-back", () => {
  it("reads a SKU with a comma on its own (the search takes comma-separated SKUs)", async () => {
    const shop = await seedShop(db, 2);
    await db.sql.query(`UPDATE variant SET sku = 'COMMA,' || sku WHERE shop_id = $1 AND sku = 'SKU-1'`, [shop.shopId]);
    const destination = await amazonDestination(shop.shopId);
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, "3.75", at)));
    const outcome = await run(destination.id);
    expect(outcome).toMatchObject({ status: "succeeded", variance: 0 });
    expect(offerPrice("COMMA,SKU-1")).toBe(3.75);
    const held = await adapter().readBack((await loadAmazonDestination(destination.id))!, "price", ["COMMA,SKU-1", "SKU-2", "NOT,THERE"]);
    expect(held.map((entry) => [entry.sku, entry.state])).toEqual([
      ["COMMA,SKU-1", { price: 3.75, currency: "USD" }],
      ["SKU-2", { price: 3.75, currency: "USD" }],
      ["NOT,THERE", undefined],
    ]);
  });
});

describe("FeedChunker", () => {
  it("never passes the message count or the byte size, and every document parses with messageIds from 1", async () => {
    const documents: Array<{ body: string; skus: string[]; bytes: number }> = [];
    const chunker = new FeedChunker({ sellerId: "S", issueLocale: "en_US", maxMessages: 7, maxBytes: 2_000 }, (document) => {
      documents.push(document);
    });
    for (let i = 0; i < 100; i++) await chunker.add(`SKU-${i}`, { sku: `SKU-${i}`, operationType: "PATCH", productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/item_name", value: [{ value: "x".repeat(i * 3) }] }] });
    await chunker.flush();
    expect(documents.flatMap((document) => document.skus)).toEqual(Array.from({ length: 100 }, (_, i) => `SKU-${i}`));
    for (const document of documents) {
      const parsed = JSON.parse(document.body) as { messages: Array<{ messageId: number; sku: string }> };
      expect(Buffer.byteLength(document.body)).toBe(document.bytes);
      expect(document.bytes).toBeLessThanOrEqual(2_000);
      expect(parsed.messages.length).toBeLessThanOrEqual(7);
      expect(parsed.messages.map((message) => message.messageId)).toEqual(parsed.messages.map((_, i) => i + 1));
      expect(parsed.messages.map((message) => message.sku)).toEqual(document.skus);
    }
    const tooBig = new FeedChunker({ sellerId: "S", issueLocale: "en_US", maxMessages: 7, maxBytes: 1_024 }, () => undefined);
    await expect(tooBig.add("HUGE", { sku: "HUGE", blob: "y".repeat(2_000) })).rejects.toMatchObject({ code: "feed_message_too_large" });
  });
});

describe("Login with Amazon tokens and compressed reports", () => {
  const LWA = { clientId: "amzn1.application-oa2-client.test", clientSecret: "lwa-secret", refreshToken: "Atzr|refresh-test" };
  let lwaSim: SellingPartnerSimulator;
  beforeAll(async () => {
    lwaSim = await startSellingPartnerSimulator({ sellerId: "A2TESTSELLER", processingDelayMs: 20, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW, lwa: LWA, gzipReports: true });
  });
  afterAll(() => lwaSim.close());

  async function lwaDestination(shopId: string, credentials: Record<string, string> = LWA, options: Record<string, unknown> = {}) {
    return createDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter()]) }, shopId, {
      name: `Amazon LWA ${Math.random().toString(36).slice(2, 8)}`,
      kind: "amazon_listings",
      endpoint: lwaSim.url,
      credentials,
      receives: ["price"],
      mode: "live",
      limits: { requestsPerSecond: 5, concurrency: 1, batchSize: 100 },
      options: { sellerId: "A2TESTSELLER", pollIntervalMs: 10, confirmAfterMs: 0, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW, lwaTokenUrl: `${lwaSim.url}/auth/o2/token`, ...options },
    });
  }

  it("gets an access token from the refresh token, reads a GZIP report (issues mapped to SKUs), and refreshes once when the token is refused as expired", async () => {
    const shop = await seedShop(db, 3);
    const destination = await lwaDestination(shop.shopId, LWA, { productType: { default: "PRODUCT", bySkuPrefix: { "SKU-2": "SPACESHIP" } } });
    await applyInTransaction(db, shop.skus.map((_, i) => priceChange(shop.shopId, i + 1, `${i + 1}.25`, at)));
    const issuedBefore = lwaSim.tokensIssued();
    const first = await run(destination.id);
    expect(first).toMatchObject({ status: "partial" });
    expect(lwaSim.tokensIssued()).toBe(issuedBefore + 1);
    const items = await itemsOf(first!.runId);
    expect(items.get("SKU-2")).toMatchObject({ outcome: "rejected", reason: expect.stringContaining("SPACESHIP") });
    expect(items.get("SKU-1")?.outcome).toBe("accepted");
    expect(lwaSim.listing("SKU-3")).toBeDefined();

    // The cached token still has its lifetime in this process, but Amazon refuses it: one refresh, and the run goes through.
    lwaSim.expireTokens();
    await applyInTransaction(db, [priceChange(shop.shopId, 1, "9.75", at)]);
    const second = await run(destination.id);
    expect(second).toMatchObject({ status: "succeeded" });
    expect(lwaSim.tokensIssued()).toBe(issuedBefore + 2);
    expect(lwaSim.stats().tooManyRequests).toBe(0);
  });

  it("refreshes the access token before it expires (test clock): reused while fresh, replaced in its last minute, never refused", async () => {
    const clock = manualClock();
    // Time moves only when the code waits (the adapter's polls) or the test moves it.
    const testClock = { now: clock.now, sleep: (ms: number) => clock.advance(ms) };
    const sim = await startSellingPartnerSimulator({ sellerId: "A2TESTSELLER", processingDelayMs: 20, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW, lwa: { ...LWA, tokenTtlMs: 600_000 }, clock });
    try {
      const shop = await seedShop(db, 1);
      const destination = await createDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter()]) }, shop.shopId, {
        name: "Amazon LWA clock",
        kind: "amazon_listings",
        endpoint: sim.url,
        credentials: LWA,
        receives: ["price"],
        mode: "live",
        limits: { requestsPerSecond: 5, concurrency: 1, batchSize: 100 },
        options: { sellerId: "A2TESTSELLER", pollIntervalMs: 10, confirmAfterMs: 0, usagePlans: USAGE_PLANS, listingFeedWindow: WINDOW, lwaTokenUrl: `${sim.url}/auth/o2/token` },
      });
      // One adapter for every run, as one process keeps it: its tokens live as long as it does.
      const clocked = amazonListingsAdapter(deps({ clock: testClock }));
      const runAt = async (price: string) => {
        await applyInTransaction(db, [priceChange(shop.shopId, 1, price, at)]);
        await requestRun(db.sql, undefined, destination.id, "sync_now");
        return runDueDestination(pipelineDeps(db, clocked, { now: new Date() }), destination.id);
      };

      expect(await runAt("1.10")).toMatchObject({ status: "succeeded" });
      expect(sim.tokensIssued()).toBe(1);
      // 500 s into a 600 s token: still fresh, sent again as it is.
      await clock.advance(500_000);
      expect(await runAt("1.20")).toMatchObject({ status: "succeeded" });
      expect(sim.tokensIssued()).toBe(1);
      // 550 s: inside its last minute, Amazon would still take it, but it is replaced before any call carries it.
      await clock.advance(50_000);
      expect(await runAt("1.30")).toMatchObject({ status: "succeeded" });
      expect(sim.tokensIssued()).toBe(2);
      expect(sim.stats().unauthorized).toBe(0);
      expect(sim.listing("SKU-1")?.attributes.purchasable_offer).toEqual([expect.objectContaining({ our_price: [{ schedule: [{ value_with_tax: 1.3 }] }] })]);
    } finally {
      await sim.close();
    }
  });

  it("a 401 refreshes the token once and sends the call again; a token refused again fails the run instead of looping", async () => {
    const shop = await seedShop(db, 1);
    const destination = await lwaDestination(shop.shopId);
    const before = { tokens: lwaSim.tokensIssued(), unauthorized: lwaSim.stats().unauthorized, feeds: lwaSim.stats().feedsCreated };
    // The run's first call is refused (401): one refresh, the same call again, and the run goes through.
    lwaSim.refuseAccessTokens(1);
    await applyInTransaction(db, [priceChange(shop.shopId, 1, "4.50", at)]);
    expect(await run(destination.id)).toMatchObject({ status: "succeeded" });
    expect(lwaSim.tokensIssued()).toBe(before.tokens + 2);
    expect(lwaSim.stats().unauthorized).toBe(before.unauthorized + 1);
    expect(lwaSim.stats().feedsCreated).toBe(before.feeds + 1);

    // Amazon refuses every token now: the call, one refresh, the call once more, and the run fails with
    // Amazon's answer (run() makes a new adapter, so its first token is one more issued).
    lwaSim.refuseAccessTokens(Number.POSITIVE_INFINITY);
    try {
      await applyInTransaction(db, [priceChange(shop.shopId, 1, "4.75", at)]);
      const refused = await run(destination.id);
      expect(refused).toMatchObject({ status: "failed", error: expect.stringContaining("Unauthorized") });
      expect(lwaSim.tokensIssued()).toBe(before.tokens + 4);
      expect(lwaSim.stats().unauthorized).toBe(before.unauthorized + 3);
      expect(lwaSim.stats().feedsCreated).toBe(before.feeds + 1);
    } finally {
      lwaSim.refuseAccessTokens(0);
    }
  });

  it("a refresh token Amazon refuses fails the run with Amazon's answer, and no feed is sent", async () => {
    const shop = await seedShop(db, 1);
    const destination = await lwaDestination(shop.shopId, { ...LWA, refreshToken: "Atzr|revoked" });
    await applyInTransaction(db, [priceChange(shop.shopId, 1, "3.00", at)]);
    const before = lwaSim.feeds().length;
    const outcome = await run(destination.id);
    expect(outcome).toMatchObject({ status: "failed", error: expect.stringContaining("invalid_grant") });
    expect(lwaSim.feeds().length).toBe(before);
  });
});
