import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { perShopperRateLimit } from "../../app/http/shopperRateLimit.server";
import { heldUnits } from "../reservations/stockFixture";
import { call, proxyUrl, useStockServer } from "./stockServer";

// Holds placed through the app proxy by shoppers nobody vetted: their own key namespace, capped
// per shop, limited per shopper.
const get = useStockServer();

function proxy(path: string, query: Record<string, string> = {}, shopDomain?: string) {
  const { url, shop, clock } = get();
  return proxyUrl(url, path, { shop: shopDomain ?? shop.domain, timestamp: String(Math.floor(clock.now() / 1000)), logged_in_customer_id: "", ...query });
}

describe("app proxy holds", () => {
  it("keep each shopper's keys apart from /api/v1 keys and from other shoppers", async () => {
    const { url, token } = get();
    const api = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-shared", lines: [{ sku: "A", quantity: 1 }] } });
    expect(api.status).toBe(201);
    // Re-posting the same key through the proxy makes the shopper's own hold; the backend's is untouched.
    const anonymous = await call(proxy("/proxy/reservations"), { method: "POST", json: { key: "cart-shared", lines: [{ sku: "B", quantity: 1 }] } });
    expect(anonymous).toMatchObject({ status: 201, body: { key: "cart-shared", lines: [{ sku: "B", quantity: 1 }] } });
    expect(anonymous.body.id).not.toBe(api.body.id);
    expect((await call(`${url}/api/v1/reservations/${api.body.id as string}`, { token })).body).toMatchObject({ status: "active", lines: [{ sku: "A", quantity: 1 }] });
    // The proxy cannot read or release the backend's hold, even knowing its id and key.
    expect((await call(proxy(`/proxy/reservations/${api.body.id as string}`, { key: "cart-shared" }))).status).toBe(404);
    expect((await call(proxy(`/proxy/reservations/${api.body.id as string}/release`, { key: "cart-shared" }), { method: "POST" })).status).toBe(404);

    // Two signed-in customers using the same key hold apart; neither reaches the other's hold.
    const first = await call(proxy("/proxy/reservations", { logged_in_customer_id: "111" }), { method: "POST", json: { key: "k", lines: [{ sku: "A", quantity: 1 }] } });
    const second = await call(proxy("/proxy/reservations", { logged_in_customer_id: "222" }), { method: "POST", json: { key: "k", lines: [{ sku: "A", quantity: 1 }] } });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    const firstId = first.body.id as string;
    expect((await call(proxy(`/proxy/reservations/${firstId}`, { logged_in_customer_id: "222" }))).status).toBe(404);
    expect((await call(proxy(`/proxy/reservations/${firstId}/release`, { logged_in_customer_id: "222" }), { method: "POST" })).status).toBe(404);
    expect((await call(proxy(`/proxy/reservations/${firstId}`, { key: "k" }))).status).toBe(404);
    expect((await call(proxy(`/proxy/reservations/${firstId}`, { logged_in_customer_id: "111" }))).body).toMatchObject({ key: "k", status: "active" });
    // A hold needs a shopper: a signed-in customer or the cart token as key.
    expect(await call(proxy(`/proxy/reservations/${firstId}`))).toMatchObject({ status: 400, body: { error: { code: "shopper_required" } } });
    // /api/v1 cannot name a key in the proxy's namespace.
    const squatting = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "proxy:cart:cart-shared", lines: [{ sku: "A", quantity: 1 }] } });
    expect(squatting).toMatchObject({ status: 400, body: { error: { code: "invalid_key" } } });

    await call(`${url}/api/v1/reservations/${api.body.id as string}/release`, { method: "POST", token });
    await call(proxy(`/proxy/reservations/${anonymous.body.id as string}/release`, { key: "cart-shared" }), { method: "POST" });
    await call(proxy(`/proxy/reservations/${firstId}/release`, { logged_in_customer_id: "111" }), { method: "POST" });
    await call(proxy(`/proxy/reservations/${second.body.id as string}/release`, { logged_in_customer_id: "222" }), { method: "POST" });
  });

  it("cap one hold's units per item, share of the stock and time with a 400 naming the cap, holding nothing beyond", async () => {
    const { other, clock, db } = get();
    const reserve = (json: unknown) => call(proxy("/proxy/reservations", {}, other.domain), { method: "POST", json });
    // The other shop has 18 of A; the defaults: 10 units, 50 % of what is left, 900 s.
    expect(await reserve({ key: "cart-x", lines: [{ sku: "A", quantity: 6 }, { sku: "A", quantity: 5 }] })).toMatchObject({
      status: 400,
      body: { error: { code: "quantity_cap", cap: "proxyMaxQuantity", limit: 10, sku: "A" } },
    });
    expect(await reserve({ key: "cart-x", lines: [{ sku: "A", quantity: 10 }] })).toMatchObject({
      status: 400,
      body: { error: { code: "stock_share_cap", cap: "proxyMaxStockPercent", limit: 50, sku: "A" } },
    });
    expect(await reserve({ key: "cart-x", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: 901 })).toMatchObject({
      status: 400,
      body: { error: { code: "hold_too_long", cap: "proxyMaxHoldSeconds", limit: 900 } },
    });
    expect((await heldUnits(db, other.shopId)).get("A") ?? 0).toBe(0);

    const held = await reserve({ key: "cart-x", lines: [{ sku: "A", quantity: 9 }] });
    expect(held).toMatchObject({ status: 201, body: { expiresAt: new Date(clock.now() + 900_000).toISOString() } });
    // What the hold already has is the shopper's own: asking for it again is no new share.
    expect((await reserve({ key: "cart-x", lines: [{ sku: "A", quantity: 9 }] })).status).toBe(200);
    expect((await reserve({ key: "cart-y", lines: [{ sku: "A", quantity: 5 }] })).body).toMatchObject({ error: { code: "stock_share_cap" } });

    // The shop sets its own caps.
    await db.prisma.inventoryPolicy.upsert({ where: { shopId: other.shopId }, create: { shopId: other.shopId, proxyMaxQuantity: 2 }, update: { proxyMaxQuantity: 2 } });
    expect((await reserve({ key: "cart-z", lines: [{ sku: "A", quantity: 3 }] })).body).toMatchObject({ error: { code: "quantity_cap", limit: 2 } });
    expect((await heldUnits(db, other.shopId)).get("A")).toBe(9);
    await call(proxy(`/proxy/reservations/${held.body.id as string}/release`, { key: "cart-x" }, other.domain), { method: "POST" });
  });

  it("cap an extension's time too", async () => {
    const held = await call(proxy("/proxy/reservations"), { method: "POST", json: { key: "cart-ext", lines: [{ sku: "A", quantity: 1 }] } });
    const id = held.body.id as string;
    const tooLong = await call(proxy(`/proxy/reservations/${id}/extend`, { key: "cart-ext" }), { method: "POST", json: { ttlSeconds: 3600 } });
    expect(tooLong).toMatchObject({ status: 400, body: { error: { code: "hold_too_long" } } });
    expect((await call(proxy(`/proxy/reservations/${id}/extend`, { key: "cart-ext" }), { method: "POST", json: { ttlSeconds: 600 } })).status).toBe(200);
    await call(proxy(`/proxy/reservations/${id}/release`, { key: "cart-ext" }), { method: "POST" });
  });
});

describe("the app proxy's per-shopper limit", () => {
  const limited = useStockServer({ shopperRatePerSecond: 1 });

  it("answers 429 to one shopper past their allowance while other shoppers go on", async () => {
    const { url, shop, clock } = limited();
    const look = (query: Record<string, string>) =>
      call(proxyUrl(url, "/proxy/reservations/00000000-0000-4000-8000-000000000000", { shop: shop.domain, timestamp: String(Math.floor(clock.now() / 1000)), ...query }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await look({ key: "cart-a" })).status);
    expect(statuses).toEqual([404, 404, 429]);
    expect((await look({ key: "cart-a" })).body).toMatchObject({ error: { code: "shopper_rate_limited" } });
    expect((await look({ key: "cart-b" })).status).toBe(404);
    expect((await look({ logged_in_customer_id: "7" })).status).toBe(404);
    clock.advance(1_000);
    expect((await look({ key: "cart-a" })).status).toBe(404);
  });

  it("remembers a bounded number of shoppers, forgetting the least recently seen first", () => {
    const limit = perShopperRateLimit({ ratePerSecond: 1, clock: { now: () => 0 }, maxShoppers: 2 });
    const req = { resume: () => undefined } as unknown as IncomingMessage;
    limit("shop", "a", req);
    limit("shop", "a", req);
    expect(() => limit("shop", "a", req)).toThrow(/this shopper/);
    limit("shop", "b", req);
    limit("shop", "c", req);
    // "a" was forgotten when "c" came: a fresh allowance.
    expect(() => limit("shop", "a", req)).not.toThrow();
    // "b" was then the least recent and is gone; "c" is still remembered (one request left).
    limit("shop", "c", req);
    expect(() => limit("shop", "c", req)).toThrow(/this shopper/);
  });
});
