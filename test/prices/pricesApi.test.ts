import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAppProxy } from "../../app/http/appProxy.server";
import { registerPricesApi } from "../../app/http/pricesApi.server";
import { Router } from "../../app/http/router.server";
import { createPriceLookup } from "../../app/prices/lookup.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { issueApiToken } from "../../app/shops/shops.server";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { call, proxyUrl, PROXY_SECRET } from "../http/stockServer";
import { stockServices } from "../reservations/stockFixture";
import { manualClock } from "../helpers/clock";
import { at, plus, seedPriceShop, type PriceShop } from "./priceFixture";

const t = at("2026-07-01T00:00:00.000Z");
const end = at("2026-07-08T00:00:00.000Z");
let db: TestDatabase;
let server: http.Server;
let url: string;
let shop: PriceShop;
let token: string;
let otherToken: string;
// The lookup's clock: the cache's boundaries are checked against it.
let lookupMs = t.getTime() - 1;

beforeAll(async () => {
  db = await createTestDatabase();
  shop = await seedPriceShop(db);
  const other = await seedPriceShop(db);
  token = await issueApiToken(db.prisma, shop.shopId);
  otherToken = await issueApiToken(db.prisma, other.shopId);
  const staff = { source: "staff" as const, createdBy: "staff:test" };
  const [a, b] = [shop.variants.get("SKU-1")!, shop.variants.get("SKU-2")!];
  await schedulePrices(db.sql, shop.shopId, [
    { variantId: a, amount: "30.00", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") },
    { variantId: b, amount: "12.50", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") },
    { variantId: a, list: "b2b", amount: "25.00", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") },
  ], staff);
  await schedulePrices(db.sql, shop.shopId, [{ variantId: a, amount: "24.00", currency: "USD", compareAt: "30.00", validFrom: t, validTo: end }], { source: "sale", createdBy: "staff:test" });
  const prices = createPriceLookup({ sql: db.sql, clock: { now: () => lookupMs }, ttlMs: 60_000 });
  const router = new Router();
  registerPricesApi(router, { prisma: db.prisma, ratePerSecond: 1000, prices });
  registerAppProxy(router, { services: stockServices(db, manualClock()), prisma: db.prisma, secrets: [PROXY_SECRET], ratePerSecond: 1000, shopperRatePerSecond: 1000, prices });
  server = http.createServer((req, res) => {
    if (!router.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Migrating an embedded database takes over a minute on a loaded machine.
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.close();
});

describe("GET /api/v1/prices", () => {
  it("refuses a request without a token or with a wrong one, as /api/v1/availability does", async () => {
    expect(await call(`${url}/api/v1/prices?sku=SKU-1`)).toMatchObject({ status: 401, body: { error: { code: "missing_token" } } });
    expect(await call(`${url}/api/v1/prices?sku=SKU-1`, { token: "lst_not-a-token-of-any-shop-at-all" })).toMatchObject({ status: 401, body: { error: { code: "invalid_token" } } });
    // Another shop's token sees its own catalog: none of these SKUs has a price there.
    expect(await call(`${url}/api/v1/prices?sku=SKU-1`, { token: otherToken })).toEqual({ status: 200, body: { items: [] } });
  });

  it("answers the store's list by default, a named list on request, amounts as decimal strings; unknown SKUs left out", async () => {
    lookupMs = t.getTime() - 1;
    const answer = await call(`${url}/api/v1/prices?sku=SKU-1&sku=SKU-2,NOPE`, { token });
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([
      { sku: "SKU-1", list: "default", amount: "30.00", currency: "USD", compareAt: null, validFrom: "2026-01-01T00:00:00.000Z", validTo: t.toISOString(), version: expect.any(String) },
      { sku: "SKU-2", list: "default", amount: "12.50", currency: "USD", compareAt: null, validFrom: "2026-01-01T00:00:00.000Z", validTo: null, version: expect.any(String) },
    ]);
    const b2b = await call(`${url}/api/v1/prices?sku=SKU-1&list=b2b`, { token });
    expect(b2b.body.items).toMatchObject([{ sku: "SKU-1", list: "b2b", amount: "25.00" }]);
  });

  it("at t − 1 ms, t and t + 1 ms: the old price, then the sale, exactly", async () => {
    const price = async (when: Date) => ((await call(`${url}/api/v1/prices?sku=SKU-1&at=${when.toISOString()}`, { token })).body.items as Array<{ amount: string }>)[0]?.amount;
    expect(await price(plus(t, -1))).toBe("30.00");
    expect(await price(t)).toBe("24.00");
    expect(await price(plus(t, 1))).toBe("24.00");
    expect(await price(plus(end, -1))).toBe("24.00");
    // A bounded version planned on its own leaves no price after it (a sale plans its end: sales.test.ts).
    expect(await price(end)).toBeUndefined();
  });

  it("a cached answer for now ends at the next boundary: right at validFrom with no job and no invalidation", async () => {
    lookupMs = t.getTime() - 1;
    const now = async () => ((await call(`${url}/api/v1/prices?sku=SKU-1`, { token })).body.items as Array<{ amount: string; compareAt: string | null }>)[0];
    expect(await now()).toMatchObject({ amount: "30.00" });
    // Within the cache's TTL (60 s here), yet the boundary is crossed: the sale is current at once.
    lookupMs = t.getTime();
    expect(await now()).toMatchObject({ amount: "24.00", compareAt: "30.00" });
    lookupMs = t.getTime() + 1;
    expect(await now()).toMatchObject({ amount: "24.00" });
  });

  it("answers 400 with the field's code to bad input", async () => {
    const bad = async (query: string) => (await call(`${url}/api/v1/prices?${query}`, { token })).body.error as { code: string; message: string };
    expect(await bad("")).toMatchObject({ code: "missing_sku" });
    expect(await bad("sku=A&at=yesterday")).toMatchObject({ code: "invalid_at" });
    expect(await bad("sku=A&at=2026-07-01T00:00:00")).toMatchObject({ code: "invalid_at" });
    expect(await bad("sku=A&at=2026-02-31T00:00:00Z")).toMatchObject({ code: "invalid_at" });
    expect(await bad("sku=A&list=")).toMatchObject({ code: "invalid_list" });
    expect(await bad("sku=A%00B")).toMatchObject({ code: "invalid_text" });
    expect(await bad(Array.from({ length: 300 }, (_, i) => `sku=S${i}`).join("&"))).toMatchObject({ code: "too_many_skus" });
    expect((await call(`${url}/api/v1/prices?sku=A&at=nope`, { token })).status).toBe(400);
  });
});

describe("GET /proxy/prices", () => {
  const signed = (params: Record<string, string | string[]>, secret = PROXY_SECRET) =>
    proxyUrl(url, "/proxy/prices", { shop: shop.domain, timestamp: String(Math.floor(Date.now() / 1000)), ...params }, secret);

  it("serves the same answer to the storefront through the app proxy", async () => {
    const query = { sku: ["SKU-1", "SKU-2"], at: plus(t, 1).toISOString() };
    const proxied = await call(signed(query));
    const direct = await call(`${url}/api/v1/prices?sku=SKU-1&sku=SKU-2&at=${plus(t, 1).toISOString()}`, { token });
    expect(proxied).toEqual({ status: 200, body: direct.body });
    expect((proxied.body.items as Array<{ amount: string }>).map((item) => item.amount)).toEqual(["24.00", "12.50"]);
  });

  it("refuses a bad signature (401), an unknown shop (404) and bad input (400)", async () => {
    expect((await call(signed({ sku: "SKU-1" }, "wrong-secret"))).status).toBe(401);
    const unknown = proxyUrl(url, "/proxy/prices", { shop: "nobody.myshopify.com", timestamp: String(Math.floor(Date.now() / 1000)), sku: "SKU-1" });
    expect(await call(unknown)).toMatchObject({ status: 404, body: { error: { code: "unknown_shop" } } });
    expect(await call(signed({ sku: "SKU-1", at: "soon" }))).toMatchObject({ status: 400, body: { error: { code: "invalid_at" } } });
  });
});
