import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { parse as parseCsv } from "csv-parse/sync";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestRun } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import { googleFeedAdapter } from "../../app/feeds/google/adapter.server";
import { createPriceActivator } from "../../app/prices/activator.server";
import { createSale } from "../../app/prices/sales.server";
import type { StockView } from "../../app/feeds/google/item";
import { registerFeedRoutes } from "../../app/feeds/google/serve.server";
import { issueFeedToken, revokeFeedToken, rotateFeedToken } from "../../app/feeds/google/tokens.server";
import { checkFeedFreshness, openFeedAlerts } from "../../app/feeds/google/watchdog.server";
import { Router } from "../../app/http/router.server";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { createTestDestination, pipelineDeps } from "../batching/pipelineFixture";

let db: TestDatabase;
let server: Server;
let baseUrl: string;
const clock = { now: new Date(Date.UTC(2026, 11, 1, 12, 0)) };
const stock = { hold: undefined as Promise<void> | undefined, fail: false, reached: () => {} };

async function stockOf(_shopId: string, skus: string[]): Promise<Map<string, StockView>> {
  stock.reached();
  if (stock.hold) await stock.hold;
  if (stock.fail) throw new Error("availability read failed");
  return new Map(skus.map((sku) => [sku, sku.endsWith("-3") ? { available: 0 } : sku.endsWith("-4") ? { available: 5, virtualStock: { kind: "preorder" as const, promiseDate: "2027-01-15T00:00:00.000Z" } } : { available: 7 }]));
}

const adapter = () => googleFeedAdapter({ sql: db.sql, stockOf });

beforeAll(async () => {
  db = await createTestDatabase();
  const router = new Router();
  registerFeedRoutes(router, { sql: db.sql, encryptionKey: "test-encryption-key-for-destinations", fetchesPerSecond: 1000, now: () => clock.now });
  server = createServer((req, res) => {
    if (!router.handle(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 240_000);
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.close();
});
beforeEach(async () => {
  await db.sql.query(`UPDATE destination SET enabled = false`);
  stock.hold = undefined;
  stock.fail = false;
  stock.reached = () => {};
});

/** A shop of `count` products with every feed attribute; SKU-2 has no image (rejected). */
async function seedFeedShop(count: number) {
  const [shop] = await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', $1) RETURNING id`, [`feed-${Math.random().toString(36).slice(2)}.myshopify.com`]);
  const shopId = shop!.id;
  await db.sql.query(
    `WITH p AS (
       INSERT INTO product (id, shop_id, external_id, title, description, url_path, image_url, brand, condition)
       SELECT gen_random_uuid(), $1, 'P' || n, 'Product ' || n, 'Description of product ' || n || ' & more', '/products/p-' || n,
         CASE WHEN n = 2 THEN NULL ELSE 'https://cdn.example/p' || n || '.jpg' END, 'Acme', 'new'
       FROM generate_series(1, $2) n RETURNING id, external_id
     )
     INSERT INTO variant (id, shop_id, product_id, external_id, sku, title, price, compare_at_price, gtin)
     SELECT gen_random_uuid(), $1, p.id, 'V' || substr(p.external_id, 2), 'SKU-' || substr(p.external_id, 2), 'Default', 10 + substr(p.external_id, 2)::int,
       CASE WHEN substr(p.external_id, 2) = '5' THEN 99 END, CASE WHEN substr(p.external_id, 2) = '1' THEN '4006381333931' END
     FROM p`,
    [shopId, count],
  );
  return shopId;
}

async function feedDestination(shopId: string, options: Record<string, unknown> = {}, credentials?: Record<string, string>) {
  const destination = await createTestDestination(db, adapter(), shopId, {
    name: "Google",
    kind: "google_feed",
    endpoint: "http://127.0.0.1/feeds",
    receives: ["catalog"],
    options: { storeUrl: "https://shop.example", currency: "EUR", maxRejectedShare: 0.5, ...options },
    credentials,
    limits: { requestsPerSecond: 100, concurrency: 1, batchSize: 2 },
  });
  const token = await issueFeedToken(db.sql, destination.id);
  return { id: destination.id, token, url: (format: "xml" | "tsv", t = token) => `${baseUrl}/feeds/${destination.id}/${t}/products.${format}` };
}

async function runFeed(destinationId: string, request = "sync_now") {
  await requestRun(db.sql, undefined, destinationId, request);
  const outcome = await runDueDestination(pipelineDeps(db, adapter(), clock), destinationId);
  if (!outcome) throw new Error("the destination was not due");
  return outcome;
}

type XmlItem = Record<string, string> & Record<"g:id" | "title" | "description" | "link" | "g:image_link" | "g:availability" | "g:availability_date" | "g:price" | "g:condition", string>;

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (name) => name === "item" });

describe("Google feed runs", () => {
  it("publishes RSS 2.0 with the g: namespace and TSV, every item valid; rejects are recorded with their reasons", async () => {
    const shopId = await seedFeedShop(6);
    const feed = await feedDestination(shopId);
    const outcome = await runFeed(feed.id);
    expect(outcome.status).toBe("partial");
    const rejected = await db.sql.query<{ sku: string; outcome: string; reason: string }>(`SELECT sku, outcome, reason FROM run_item WHERE run_id = $1::bigint AND outcome NOT IN ('accepted') ORDER BY sku`, [outcome.runId]);
    expect(rejected).toEqual([{ sku: "SKU-2", outcome: "invalid", reason: "image_link: the product has no image" }]);

    const response = await fetch(feed.url("xml"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/xml");
    const text = await response.text();
    const doc = parser.parse(text);
    expect(doc.rss["@_version"]).toBe("2.0");
    expect(doc.rss["@_xmlns:g"]).toBe("http://base.google.com/ns/1.0");
    const items = doc.rss.channel.item as XmlItem[];
    expect(items.map((item) => item["g:id"]).sort()).toEqual(["SKU-1", "SKU-3", "SKU-4", "SKU-5", "SKU-6"]);
    for (const item of items) {
      expect(item["g:id"].length).toBeLessThanOrEqual(50);
      expect(item.title).toBeTruthy();
      expect(item.description.length).toBeGreaterThan(0);
      expect(item.description.length).toBeLessThanOrEqual(5000);
      expect(item.link).toMatch(/^https:\/\/shop\.example\/products\/p-\d$/);
      expect(item["g:image_link"]).toMatch(/^https:\/\//);
      expect(["in_stock", "out_of_stock", "preorder", "backorder"]).toContain(item["g:availability"]);
      if (["preorder", "backorder"].includes(item["g:availability"])) expect(Date.parse(item["g:availability_date"])).not.toBeNaN();
      expect(item["g:price"]).toMatch(/^\d+\.\d{2} EUR$/);
      expect(["new", "used", "refurbished"]).toContain(item["g:condition"]);
      if (!item["g:gtin"] && !item["g:mpn"]) expect(item["g:identifier_exists"]).toBe("no");
      else expect(item["g:brand"]).toBeTruthy();
    }
    const byId = new Map(items.map((item) => [item["g:id"], item]));
    expect(byId.get("SKU-1")).toMatchObject({ "g:gtin": "4006381333931", "g:brand": "Acme", "g:availability": "in_stock", "g:price": "11.00 EUR" });
    expect(byId.get("SKU-1")!["g:identifier_exists"]).toBeUndefined();
    expect(byId.get("SKU-1")!.description).toBe("Description of product 1 & more");
    expect(byId.get("SKU-3")!["g:availability"]).toBe("out_of_stock");
    expect(byId.get("SKU-4")).toMatchObject({ "g:availability": "preorder", "g:availability_date": "2027-01-15T00:00:00.000Z" });
    expect(byId.get("SKU-5")).toMatchObject({ "g:price": "99.00 EUR", "g:sale_price": "15.00 EUR" });

    const tsv = await (await fetch(feed.url("tsv"))).text();
    const rows = parseCsv(tsv, { delimiter: "\t", columns: true, quote: false }) as Array<Record<string, string>>;
    expect(rows.map((row) => row.id).sort()).toEqual(["SKU-1", "SKU-3", "SKU-4", "SKU-5", "SKU-6"]);
    for (const row of rows) {
      const item = byId.get(row.id!)!;
      expect(row.title).toBe(item.title);
      expect(row.price).toBe(item["g:price"]);
      expect(row.availability).toBe(item["g:availability"]);
      expect(row.link).toBe(item.link);
    }
  });

  it("a fetch during a build gets the previous snapshot; a failed build and a build rejecting too much leave it served; rollback goes back", async () => {
    const shopId = await seedFeedShop(4);
    const feed = await feedDestination(shopId);
    await runFeed(feed.id);
    const first = await fetch(feed.url("xml"));
    const firstBody = await first.text();
    const firstEtag = first.headers.get("etag");

    await db.sql.query(`UPDATE product SET title = title || ' v2' WHERE shop_id = $1`, [shopId]);
    let release!: () => void;
    stock.hold = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (stock.reached = resolve));
    const building = runFeed(feed.id);
    await reached;
    const during = await fetch(feed.url("xml"));
    expect(during.headers.get("etag")).toBe(firstEtag);
    expect(await during.text()).toBe(firstBody);
    release();
    const second = await building;
    expect(second.status).toBe("partial");
    const secondBody = await (await fetch(feed.url("xml"))).text();
    expect(secondBody).toContain("Product 1 v2");

    // A failed build: the published snapshot stays.
    stock.hold = undefined;
    stock.fail = true;
    await db.sql.query(`UPDATE product SET title = title || ' v3' WHERE shop_id = $1`, [shopId]);
    const failed = await runFeed(feed.id);
    expect(failed.status).toBe("failed");
    expect(await (await fetch(feed.url("xml"))).text()).toBe(secondBody);
    stock.fail = false;

    // Too many rejects: 3 of 4 items without an image is over the 50 % allowed.
    await db.sql.query(`UPDATE product SET image_url = NULL WHERE shop_id = $1 AND external_id IN ('P1', 'P3')`, [shopId]);
    const tooMany = await runFeed(feed.id, "full");
    expect(tooMany.status).toBe("failed");
    expect(tooMany.error).toMatch(/3 of 4 items rejected .*last good snapshot stays served/);
    expect(await (await fetch(feed.url("xml"))).text()).toBe(secondBody);

    // The images are back: the failed run's next attempt publishes in full.
    await db.sql.query(`UPDATE product SET image_url = 'https://cdn.example/again.jpg' WHERE shop_id = $1 AND image_url IS NULL`, [shopId]);
    const recovered = await runFeed(feed.id);
    expect(recovered.status).toBe("succeeded");
    const recoveredBody = await (await fetch(feed.url("xml"))).text();
    expect(recoveredBody).toContain("Product 1 v2 v3");

    // Rolling that run back serves the snapshot served before it.
    const rollback = await runFeed(feed.id, `rollback:${recovered.runId}`);
    expect(rollback.error).toBeUndefined();
    expect(await (await fetch(feed.url("xml"))).text()).toBe(secondBody);
  });
});

describe("Google feed sale prices from scheduled prices", () => {
  /** The store's list price of each SKU since the start of 2026 (a seed version, as the demo writes). */
  async function seedPrices(shopId: string) {
    await db.sql.query(
      `INSERT INTO price_version (shop_id, variant_id, list, amount, currency, valid_from, source, created_by)
       SELECT shop_id, id, 'default', price, 'EUR', '2026-01-01T00:00:00Z', 'seed', 'test' FROM variant WHERE shop_id = $1`,
      [shopId],
    );
  }
  const sale = (shopId: string, sku: string, value: string, startsAt: string, endsAt: string) =>
    createSale(db.sql, shopId, { name: `Sale of ${sku}`, skus: [sku], kind: "amount", value, startsAt: new Date(startsAt), endsAt: new Date(endsAt), createdBy: "test" });

  it("publishes an upcoming sale ahead of its start with its effective dates, a running one against the price it replaced, an ended one not at all", async () => {
    const shopId = await seedFeedShop(4);
    await seedPrices(shopId);
    // The feed's clock is 2026-12-01T12:00Z.
    await sale(shopId, "SKU-1", "8.00", "2026-12-05T00:00:00Z", "2026-12-08T00:00:00Z");
    await sale(shopId, "SKU-3", "9.50", "2026-12-01T00:00:00Z", "2026-12-24T00:00:00Z");
    await sale(shopId, "SKU-4", "5.00", "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z");
    const feed = await feedDestination(shopId);
    await runFeed(feed.id);
    const items = new Map((parser.parse(await (await fetch(feed.url("xml"))).text()).rss.channel.item as XmlItem[]).map((item) => [item["g:id"], item]));
    expect(items.get("SKU-1")).toMatchObject({ "g:price": "11.00 EUR", "g:sale_price": "8.00 EUR", "g:sale_price_effective_date": "2026-12-05T00:00:00.000Z/2026-12-08T00:00:00.000Z" });
    expect(items.get("SKU-3")).toMatchObject({ "g:price": "13.00 EUR", "g:sale_price": "9.50 EUR", "g:sale_price_effective_date": "2026-12-01T00:00:00.000Z/2026-12-24T00:00:00.000Z" });
    expect(items.get("SKU-4")!["g:sale_price"]).toBeUndefined();
    expect(items.get("SKU-4")!["g:price"]).toBe("14.00 EUR");
    const rows = parseCsv(await (await fetch(feed.url("tsv"))).text(), { delimiter: "\t", columns: true, quote: false }) as Array<Record<string, string>>;
    expect(rows.find((row) => row.id === "SKU-1")).toMatchObject({ sale_price: "8.00 EUR", sale_price_effective_date: "2026-12-05T00:00:00.000Z/2026-12-08T00:00:00.000Z" });
  });

  it("a price activation captures a change: a feed with a size threshold is rebuilt with the activated price", async () => {
    const shopId = await seedFeedShop(2);
    await seedPrices(shopId);
    const feed = await feedDestination(shopId);
    await runFeed(feed.id);
    await db.sql.query(`UPDATE destination SET size_threshold = 1, next_run_at = '2027-01-01T00:00:00Z', requested_run = NULL WHERE id = $1`, [feed.id]);
    expect(await runDueDestination(pipelineDeps(db, adapter(), clock), feed.id)).toBeUndefined();

    // Started yesterday (the machine's clock is past it): due for activation now.
    await sale(shopId, "SKU-1", "7.25", "2026-12-01T00:00:00Z", "2027-12-01T00:00:00Z");
    const activator = createPriceActivator({ sql: db.sql, workerId: "feed-test", push: async () => {} });
    await activator.runOnce();
    const captured = await db.sql.query(`SELECT 1 FROM change_record WHERE shop_id = $1 AND source = 'price_activation'`, [shopId]);
    expect(captured).toHaveLength(1);

    const outcome = await runDueDestination(pipelineDeps(db, adapter(), clock), feed.id);
    expect(outcome?.reason).toBe("threshold");
    const items = new Map((parser.parse(await (await fetch(feed.url("xml"))).text()).rss.channel.item as XmlItem[]).map((item) => [item["g:id"], item]));
    expect(items.get("SKU-1")).toMatchObject({ "g:price": "11.00 EUR", "g:sale_price": "7.25 EUR", "g:sale_price_effective_date": "2026-12-01T00:00:00.000Z/2027-12-01T00:00:00.000Z" });
  });
});

describe("serving a feed", () => {
  it("answers 404 alike for an unknown feed, unknown or revoked token and unknown file; a rotated token works during its overlap only", async () => {
    const shopId = await seedFeedShop(2);
    const feed = await feedDestination(shopId);
    await runFeed(feed.id);
    expect((await fetch(feed.url("xml"))).status).toBe(200);
    const unknownToken = await fetch(feed.url("xml", "not-a-token"));
    const unknownFeed = await fetch(`${baseUrl}/feeds/00000000-0000-0000-0000-000000000000/${feed.token}/products.xml`);
    const unknownFile = await fetch(`${baseUrl}/feeds/${feed.id}/${feed.token}/products.csv`);
    for (const response of [unknownToken, unknownFeed, unknownFile]) {
      expect(response.status).toBe(404);
      expect(await response.text()).toBe("Not found\n");
    }

    const rotated = await rotateFeedToken(db.sql, feed.id, 60 * 60_000, clock.now);
    expect((await fetch(feed.url("xml"))).status).toBe(200);
    expect((await fetch(feed.url("xml", rotated))).status).toBe(200);
    const saved = clock.now;
    clock.now = new Date(saved.getTime() + 61 * 60_000);
    try {
      expect((await fetch(feed.url("xml"))).status).toBe(404);
      expect((await fetch(feed.url("tsv", rotated))).status).toBe(200);
    } finally {
      clock.now = saved;
    }
    expect(await revokeFeedToken(db.sql, feed.id, rotated, clock.now)).toBe(true);
    expect((await fetch(feed.url("xml", rotated))).status).toBe(404);
    const [row] = await db.sql.query<{ last_fetched_at: Date | null }>(`SELECT last_fetched_at FROM feed WHERE destination_id = $1`, [feed.id]);
    expect(row!.last_fetched_at).not.toBeNull();
  });

  it("asks for HTTP Basic when the feed has credentials, answers 304 to If-None-Match and If-Modified-Since, gzips when asked, HEAD has no body", async () => {
    const shopId = await seedFeedShop(3);
    const feed = await feedDestination(shopId, {}, { username: "merchant", password: "s3cret" });
    await runFeed(feed.id);
    const anonymous = await fetch(feed.url("xml"));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic /);
    const wrong = await fetch(feed.url("xml"), { headers: { authorization: `Basic ${Buffer.from("merchant:nope").toString("base64")}` } });
    expect(wrong.status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from("merchant:s3cret").toString("base64")}` };
    const plain = await fetch(feed.url("xml"), { headers: { ...auth, "accept-encoding": "identity" } });
    expect(plain.status).toBe(200);
    const body = await plain.text();
    expect(Number(plain.headers.get("content-length"))).toBe(Buffer.byteLength(body));
    const etag = plain.headers.get("etag")!;
    const lastModified = plain.headers.get("last-modified")!;

    expect((await fetch(feed.url("xml"), { headers: { ...auth, "accept-encoding": "identity", "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(feed.url("xml"), { headers: { ...auth, "accept-encoding": "identity", "if-none-match": '"other"' } })).status).toBe(200);
    expect((await fetch(feed.url("xml"), { headers: { ...auth, "if-modified-since": lastModified } })).status).toBe(304);
    expect((await fetch(feed.url("xml"), { headers: { ...auth, "if-modified-since": new Date(Date.parse(lastModified) - 1000).toUTCString() } })).status).toBe(200);

    const zipped = await new Promise<{ status: number; encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      import("node:http").then(({ get }) =>
        get(feed.url("xml"), { headers: { ...auth, "accept-encoding": "gzip" } }, (res) => {
          const parts: Buffer[] = [];
          res.on("data", (part: Buffer) => parts.push(part));
          res.on("end", () => resolve({ status: res.statusCode!, encoding: res.headers["content-encoding"], body: Buffer.concat(parts) }));
        }).on("error", reject),
      );
    });
    expect(zipped.status).toBe(200);
    expect(zipped.encoding).toBe("gzip");
    expect(gunzipSync(zipped.body).toString()).toBe(body);

    const head = await fetch(feed.url("tsv"), { method: "HEAD", headers: { ...auth, "accept-encoding": "identity" } });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await head.text()).toBe("");
  });

  it("answers 503 before the first snapshot and 429 past the feed's rate", async () => {
    const shopId = await seedFeedShop(1);
    const feed = await feedDestination(shopId);
    expect((await fetch(feed.url("xml"))).status).toBe(503);
    const router = new Router();
    registerFeedRoutes(router, { sql: db.sql, encryptionKey: "test-encryption-key-for-destinations", fetchesPerSecond: 1, now: () => clock.now });
    const limited = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>((resolve) => limited.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(limited.address() as AddressInfo).port}/feeds/${feed.id}/${feed.token}/products.xml`;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(url)).status);
      expect(statuses).toEqual([503, 503, 429]);
    } finally {
      await new Promise((resolve) => limited.close(resolve));
    }
  });
});

describe("freshness watchdog", () => {
  it("raises one alert per feed and kind when it was not fetched or rebuilt in time, and resolves it once it was", async () => {
    const shopId = await seedFeedShop(2);
    const feed = await feedDestination(shopId, { expectFetchWithinMinutes: 60, expectRebuildWithinMinutes: 120 });
    await runFeed(feed.id);
    expect((await fetch(feed.url("xml"))).status).toBe(200);
    expect((await checkFeedFreshness(db.sql, clock.now)).filter((alert) => alert.destinationId === feed.id)).toEqual([]);

    const later = new Date(clock.now.getTime() + 90 * 60_000);
    const raised = (await checkFeedFreshness(db.sql, later)).filter((alert) => alert.destinationId === feed.id);
    expect(raised.map((alert) => alert.kind)).toEqual(["not_fetched"]);
    expect((await checkFeedFreshness(db.sql, later)).filter((alert) => alert.destinationId === feed.id)).toEqual([]);
    const muchLater = new Date(clock.now.getTime() + 150 * 60_000);
    expect((await checkFeedFreshness(db.sql, muchLater)).filter((alert) => alert.destinationId === feed.id).map((alert) => alert.kind)).toEqual(["not_rebuilt"]);
    expect((await openFeedAlerts(db.sql, shopId)).map((alert) => alert.kind).sort()).toEqual(["not_fetched", "not_rebuilt"]);

    await db.sql.query(`UPDATE feed SET last_fetched_at = $2, published_at = $2 WHERE destination_id = $1`, [feed.id, muchLater.toISOString()]);
    await checkFeedFreshness(db.sql, muchLater);
    expect(await openFeedAlerts(db.sql, shopId)).toEqual([]);
  });
});
