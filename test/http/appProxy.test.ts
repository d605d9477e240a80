import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyAppProxySignature } from "../../app/http/appProxy.server";
import { LockstepError } from "../../app/config/errors";
import { call, PREVIOUS_SECRET, PROXY_SECRET, proxyUrl, useStockServer } from "./stockServer";

const get = useStockServer();

describe("the Shopify app proxy", () => {
  it("computes the signature the way Shopify documents it", () => {
    // Sorted `name=value` strings, several values of a name joined by commas, no separator, path_prefix decoded.
    const params = new URLSearchParams("extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555");
    const message = "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviewsshop=shop-name.myshopify.comtimestamp=1317327555";
    params.set("signature", createHmac("sha256", "hush").update(message).digest("hex"));
    expect(() => verifyAppProxySignature(params, ["hush"], 1317327555_000)).not.toThrow();
    expect(() => verifyAppProxySignature(params, ["hush"], 1317327555_000 + 301_000)).toThrow(/older than/);
  });

  it("serves availability to a correctly signed request, also one signed with the previous secret", async () => {
    const { url, shop, clock } = get();
    const params = { shop: shop.domain, timestamp: String(Math.floor(clock.now() / 1000)), path_prefix: "/apps/lockstep", logged_in_customer_id: "", sku: ["A", "B"] };
    const ok = await call(proxyUrl(url, "/proxy/availability", params));
    expect(ok.status).toBe(200);
    expect((ok.body.items as { sku: string; available: number }[]).map((i) => [i.sku, i.available])).toEqual([["A", 4], ["B", 1]]);
    expect((await call(proxyUrl(url, "/proxy/availability", params, PREVIOUS_SECRET))).status).toBe(200);
  });

  it("refuses a tampered, unsigned, stale or foreign-secret request with 401", async () => {
    const { url, shop, clock } = get();
    const params = { shop: shop.domain, timestamp: String(Math.floor(clock.now() / 1000)), sku: "A" };
    const tampered = proxyUrl(url, "/proxy/availability", params).replace("sku=A", "sku=B");
    expect(await call(tampered)).toMatchObject({ status: 401, body: { error: { code: "invalid_signature" } } });
    const unsigned = `${url}/proxy/availability?${new URLSearchParams(params).toString()}`;
    expect(await call(unsigned)).toMatchObject({ status: 401, body: { error: { code: "invalid_signature" } } });
    const stale = proxyUrl(url, "/proxy/availability", { ...params, timestamp: String(Math.floor(clock.now() / 1000) - 301) });
    expect(await call(stale)).toMatchObject({ status: 401, body: { error: { code: "stale_request" } } });
    const future = proxyUrl(url, "/proxy/availability", { ...params, timestamp: String(Math.floor(clock.now() / 1000) + 301) });
    expect((await call(future)).status).toBe(401);
    expect((await call(proxyUrl(url, "/proxy/availability", params, "some-other-app"))).status).toBe(401);
    expect(() => verifyAppProxySignature(new URLSearchParams({ signature: "zz" }), [PROXY_SECRET], 0)).toThrow(LockstepError);
  });

  it("answers 404 for a shop that has not installed the app", async () => {
    const { url, clock } = get();
    const params = { shop: "stranger.myshopify.com", timestamp: String(Math.floor(clock.now() / 1000)), sku: "A" };
    expect(await call(proxyUrl(url, "/proxy/availability", params))).toMatchObject({ status: 404, body: { error: { code: "unknown_shop" } } });
  });

  it("holds a cart's stock, shows it, and gives it back through the proxy", async () => {
    const { url, shop, clock } = get();
    const params = { shop: shop.domain, timestamp: String(Math.floor(clock.now() / 1000)) };
    const created = await call(proxyUrl(url, "/proxy/reservations", params), { method: "POST", json: { key: "cart-token-1", lines: [{ sku: "B", quantity: 1 }] } });
    expect(created).toMatchObject({ status: 201, body: { key: "cart-token-1", status: "active" } });
    const id = created.body.id as string;
    const refused = await call(proxyUrl(url, "/proxy/reservations", params), { method: "POST", json: { key: "cart-token-2", lines: [{ sku: "B", quantity: 1 }] } });
    expect(refused).toMatchObject({ status: 409, body: { error: { shortages: [{ sku: "B", requested: 1, available: 0 }] } } });
    // An anonymous shopper names their hold by their cart token.
    const cart = { ...params, key: "cart-token-1" };
    expect((await call(proxyUrl(url, `/proxy/reservations/${id}`, cart))).body.status).toBe("active");
    expect((await call(proxyUrl(url, `/proxy/reservations/${id}/commit`, cart), { method: "POST" })).status).toBe(404);
    const released = await call(proxyUrl(url, `/proxy/reservations/${id}/release`, cart), { method: "POST" });
    expect(released).toMatchObject({ status: 200, body: { status: "released" } });
    const unsigned = await call(`${url}/proxy/reservations`, { method: "POST", json: { key: "x", lines: [{ sku: "B", quantity: 1 }] } });
    expect(unsigned.status).toBe(401);
  });
});

describe("the app proxy's rate limit", () => {
  const limited = useStockServer({ ratePerSecond: 2 });

  it("answers 429 once a shop's storefront goes past its allowance, apart from its API token and from other shops", async () => {
    const { url, shop, other, token, clock } = limited();
    const signed = (domain: string) =>
      proxyUrl(url, "/proxy/availability", { shop: domain, timestamp: String(Math.floor(clock.now() / 1000)), path_prefix: "/apps/lockstep", logged_in_customer_id: "", sku: "A" });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(signed(shop.domain))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await call(signed(shop.domain))).body).toMatchObject({ error: { code: "rate_limited" } });
    // A refused reservation body is drained and answered too.
    const reserve = await call(proxyUrl(url, "/proxy/reservations", { shop: shop.domain, timestamp: String(Math.floor(clock.now() / 1000)) }), {
      method: "POST",
      json: { key: "cart-1", lines: [{ sku: "A", quantity: 1 }] },
    });
    expect(reserve).toMatchObject({ status: 429, body: { error: { code: "rate_limited" } } });
    expect((await call(`${url}/api/v1/availability?sku=A`, { token })).status).toBe(200);
    expect((await call(signed(other.domain))).status).toBe(200);
    clock.advance(1_000);
    expect((await call(signed(shop.domain))).status).toBe(200);
  });
});
