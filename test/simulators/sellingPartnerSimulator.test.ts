import { afterEach, describe, expect, it } from "vitest";
import { type SellingPartnerSimulator, type SellingPartnerSimulatorOptions, startSellingPartnerSimulator } from "../../simulators/marketplace/sellingPartner";
import { feedSchemaErrors, reportSchemaErrors } from "./amazonListingsSchemas";

// The marketplace simulator answers as Amazon's Feeds API model and Listings Items API say: the
// five-step flow, asynchronous processing on its own clock, per-message issues, usage plans and the
// listing-feed window (429 beyond), read-back, and the accept-without-apply switch.

let sim: SellingPartnerSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const clock = { now: 1_800_000_000_000 };
async function start(options: SellingPartnerSimulatorOptions = {}) {
  clock.now = 1_800_000_000_000;
  sim = await startSellingPartnerSimulator({ accessToken: "Atza|test", processingDelayMs: 10_000, clock: { now: () => clock.now }, ...options });
  return sim;
}

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${sim!.url}${path}`, { method, headers: { "x-amz-access-token": "Atza|test", "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const offer = (price: unknown, currency: unknown = "USD") => ({ op: "replace", path: "/attributes/purchasable_offer", value: [{ marketplace_id: "ATVPDKIKX0DER", currency, our_price: [{ schedule: [{ value_with_tax: price }] }] }] });
const stock = (quantity: unknown) => ({ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity }] });

function feedDocument(sellerId: string, messages: unknown[]) {
  return { header: { sellerId, version: "2.0", issueLocale: "en_US" }, messages };
}

async function submit(document: unknown): Promise<string> {
  const created = await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json; charset=UTF-8" });
  expect(created.status).toBe(201);
  const upload = await fetch(String(created.body.url), { method: "PUT", headers: { "content-type": "application/json; charset=UTF-8" }, body: JSON.stringify(document) });
  expect(upload.status).toBe(200);
  const feed = await call("POST", "/feeds/2021-06-30/feeds", { feedType: "JSON_LISTINGS_FEED", marketplaceIds: ["ATVPDKIKX0DER"], inputFeedDocumentId: created.body.feedDocumentId });
  expect(feed.status).toBe(202);
  return String(feed.body.feedId);
}

describe("the JSON_LISTINGS_FEED flow", () => {
  it("queues, processes after the delay, reports per-message issues and applies the accepted messages", async () => {
    const s = await start();
    const document = feedDocument(s.sellerId, [
      { messageId: 1, sku: "GOOD-1", operationType: "PATCH", productType: "PRODUCT", patches: [offer(12.5), stock(7)] },
      { messageId: 2, sku: "NO-PRICE", operationType: "PATCH", productType: "PRODUCT", patches: [{ op: "replace", path: "/attributes/purchasable_offer", value: [{ currency: "USD", our_price: [] }] }] },
      { messageId: 3, sku: "BAD-QTY", operationType: "PATCH", productType: "PRODUCT", patches: [stock(-2)] },
      { messageId: 4, sku: "ODD-TYPE", operationType: "PATCH", productType: "SPACESHIP", patches: [stock(1)] },
    ]);
    expect(feedSchemaErrors(document)).toEqual([]);
    const feedId = await submit(document);

    expect((await call("GET", `/feeds/2021-06-30/feeds/${feedId}`)).body).toMatchObject({ feedId, processingStatus: "IN_QUEUE" });
    clock.now += 5_000;
    expect((await call("GET", `/feeds/2021-06-30/feeds/${feedId}`)).body.processingStatus).toBe("IN_PROGRESS");
    expect(s.listing("GOOD-1")).toBeUndefined();
    clock.now += 5_000;
    const done = await call("GET", `/feeds/2021-06-30/feeds/${feedId}`);
    expect(done.body).toMatchObject({ processingStatus: "DONE", resultFeedDocumentId: expect.any(String) });

    const located = await call("GET", `/feeds/2021-06-30/documents/${String(done.body.resultFeedDocumentId)}`);
    const report = (await (await fetch(String(located.body.url))).json()) as { summary: Record<string, number>; issues: Array<{ messageId: number; sku: string; message: string }> };
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.summary).toMatchObject({ messagesProcessed: 4, messagesAccepted: 1, messagesInvalid: 3 });
    expect(report.issues.map((issue) => [issue.messageId, issue.sku])).toEqual([
      [2, "NO-PRICE"],
      [3, "BAD-QTY"],
      [4, "ODD-TYPE"],
    ]);
    expect(report.issues[2]!.message).toContain("SPACESHIP");

    const listing = await call("GET", `/listings/2021-08-01/items/${s.sellerId}/GOOD-1?marketplaceIds=ATVPDKIKX0DER&includedData=attributes`);
    expect(listing.status).toBe(200);
    expect(listing.body.attributes).toMatchObject({ fulfillment_availability: [{ quantity: 7 }], purchasable_offer: [{ currency: "USD", our_price: [{ schedule: [{ value_with_tax: 12.5 }] }] }] });
    expect((await call("GET", `/listings/2021-08-01/items/${s.sellerId}/NO-PRICE?marketplaceIds=ATVPDKIKX0DER`)).status).toBe(404);
  });

  it("searchListingsItems reads up to 20 SKUs at once; unknown SKUs are left out", async () => {
    const s = await start();
    await submit(feedDocument(s.sellerId, [
      { messageId: 1, sku: "S-1", operationType: "PATCH", productType: "PRODUCT", patches: [stock(1)] },
      { messageId: 2, sku: "S-2", operationType: "PATCH", productType: "PRODUCT", patches: [stock(2)] },
    ]));
    clock.now += 10_000;
    const found = await call("GET", `/listings/2021-08-01/items/${s.sellerId}?marketplaceIds=ATVPDKIKX0DER&identifiersType=SKU&identifiers=S-1,S-2,S-3`);
    expect(found.body).toMatchObject({ numberOfResults: 2, items: [{ sku: "S-1", attributes: { fulfillment_availability: [{ quantity: 1 }] } }, { sku: "S-2" }] });
    const tooMany = Array.from({ length: 21 }, (_, i) => `S-${i}`).join(",");
    expect((await call("GET", `/listings/2021-08-01/items/${s.sellerId}?marketplaceIds=ATVPDKIKX0DER&identifiersType=SKU&identifiers=${tooMany}`)).status).toBe(400);
    expect((await call("GET", `/listings/2021-08-01/items/SOMEONE?marketplaceIds=ATVPDKIKX0DER&identifiersType=SKU&identifiers=S-1`)).status).toBe(403);
  });

  it("a document it cannot read makes the feed FATAL with a report saying why", async () => {
    const s = await start();
    const feedId = await submit({ header: { sellerId: "SOMEONE-ELSE", version: "2.0" }, messages: [] });
    clock.now += 10_000;
    expect(s.feeds().find((feed) => feed.feedId === feedId)?.processingStatus).toBe("FATAL");
    expect(s.report(feedId)?.issues[0]?.message).toContain("sellerId");
  });

  it("accept-without-apply: the report says accepted, the listing does not change", async () => {
    const s = await start();
    s.acceptWithoutApplying(true);
    const feedId = await submit(feedDocument(s.sellerId, [{ messageId: 1, sku: "GHOST", operationType: "PATCH", productType: "PRODUCT", patches: [stock(3)] }]));
    clock.now += 10_000;
    expect(s.report(feedId)?.summary).toMatchObject({ messagesAccepted: 1, messagesInvalid: 0 });
    expect(s.listing("GHOST")).toBeUndefined();
    expect(s.stats().acceptedNotApplied).toBe(1);
  });
});

describe("limits and refusals", () => {
  it("answers 429 QuotaExceeded with Retry-After beyond an operation's burst", async () => {
    await start({ usagePlans: { createFeedDocument: { ratePerSecond: 1, burst: 2 } } });
    expect((await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json" })).status).toBe(201);
    expect((await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json" })).status).toBe(201);
    const third = await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json" });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ errors: [{ code: "QuotaExceeded" }] });
    expect(third.headers.get("retry-after")).toBe("1");
    clock.now += 1_000;
    expect((await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json" })).status).toBe(201);
  });

  it("takes at most the window's listing feeds, then 429 until the oldest leaves the window", async () => {
    const s = await start({ listingFeedWindow: { max: 2, windowMs: 60_000 } });
    const document = feedDocument(s.sellerId, [{ messageId: 1, sku: "A", operationType: "PATCH", productType: "PRODUCT", patches: [stock(1)] }]);
    await submit(document);
    clock.now += 10_000;
    await submit(document);
    const created = await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json" });
    await fetch(String(created.body.url), { method: "PUT", body: JSON.stringify(document) });
    const refused = await call("POST", "/feeds/2021-06-30/feeds", { feedType: "JSON_LISTINGS_FEED", marketplaceIds: ["ATVPDKIKX0DER"], inputFeedDocumentId: created.body.feedDocumentId });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("50");
    clock.now += 50_000;
    expect((await call("POST", "/feeds/2021-06-30/feeds", { feedType: "JSON_LISTINGS_FEED", marketplaceIds: ["ATVPDKIKX0DER"], inputFeedDocumentId: created.body.feedDocumentId })).status).toBe(202);
    expect(s.throttled.map((entry) => entry.operation)).toEqual(["createFeed"]);
  });

  it("refuses a wrong token, an expired upload URL, a feed without an uploaded document, unknown feeds and paths", async () => {
    await start({ urlTtlMs: 1_000 });
    expect((await fetch(`${sim!.url}/feeds/2021-06-30/feeds/1`, { headers: { "x-amz-access-token": "nope" } })).status).toBe(403);
    const created = await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json" });
    expect((await call("POST", "/feeds/2021-06-30/documents", {})).status).toBe(400);
    expect((await call("POST", "/feeds/2021-06-30/feeds", { feedType: "JSON_LISTINGS_FEED", marketplaceIds: ["ATVPDKIKX0DER"], inputFeedDocumentId: created.body.feedDocumentId })).status).toBe(400);
    clock.now += 2_000;
    expect((await fetch(String(created.body.url), { method: "PUT", body: "{}" })).status).toBe(403);
    expect((await call("GET", "/feeds/2021-06-30/feeds/404")).status).toBe(404);
    expect((await call("GET", "/nowhere")).status).toBe(404);
    const broken = await fetch(`${sim!.url}/feeds/2021-06-30/feeds`, { method: "POST", headers: { "x-amz-access-token": "Atza|test" }, body: "{not json" });
    expect(broken.status).toBe(400);
  });
});
