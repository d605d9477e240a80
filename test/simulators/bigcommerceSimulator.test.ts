import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { listProducts, listVariants } from "../../app/platforms/bigcommerce/catalog.server";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { adjustRelativeInventory, getInventoryItems, setAbsoluteInventory } from "../../app/platforms/bigcommerce/inventory.server";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { manualClock } from "../helpers/clock";
import { requestErrors, responseErrors } from "./bigcommerceOpenApi";

let sim: BigCommerceSimulator;
const clock = manualClock(Date.parse("2026-11-27T10:00:00Z"));

beforeAll(async () => {
  sim = await startBigCommerceSimulator({
    clock,
    stores: [
      { storeHash: "abc123", accessToken: "token", quota: { requests: 5, windowMs: 30_000 }, seed: { products: 3, variantsPerProduct: 2, locations: ["Main", "Backroom"] } },
      { storeHash: "spec", accessToken: "token", quota: { requests: 10_000, windowMs: 30_000 }, seed: { products: 4, variantsPerProduct: 2 } },
    ],
  });
});

afterAll(async () => {
  await sim.close();
});

const get = (path: string, token = "token") => fetch(`${sim.url}/stores/abc123${path}`, { headers: { "X-Auth-Token": token } });

describe("BigCommerce simulator: the shared quota", () => {
  it("puts the quota headers on every answer and answers 429 when the window is spent, until it resets", async () => {
    const lefts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await get("/v3/catalog/products");
      expect(response.status).toBe(200);
      expect(response.headers.get("x-rate-limit-requests-quota")).toBe("5");
      expect(response.headers.get("x-rate-limit-time-window-ms")).toBe("30000");
      lefts.push(Number(response.headers.get("x-rate-limit-requests-left")));
    }
    expect(lefts).toEqual([4, 3, 2, 1, 0]);
    await clock.advance(10_000);
    const refused = await get("/v3/catalog/products");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-rate-limit-time-reset-ms")).toBe("20000");
    expect(refused.headers.get("x-rate-limit-requests-left")).toBe("0");
    await clock.advance(20_000);
    const again = await get("/v3/catalog/products");
    expect(again.status).toBe(200);
    expect(again.headers.get("x-rate-limit-requests-left")).toBe("4");
    expect(sim.stats("abc123")).toMatchObject({ tooManyRequests: 1, served: 6 });
  });

  it("other apps spend the same quota", async () => {
    await clock.advance(30_000);
    sim.store("abc123").consumeByOtherApps(4);
    const response = await get("/v3/catalog/products");
    expect(response.headers.get("x-rate-limit-requests-left")).toBe("0");
    expect((await get("/v3/catalog/products")).status).toBe(429);
  });

  it("rejects a wrong token with 401 and an unknown store with 404", async () => {
    expect((await get("/v3/catalog/products", "nope")).status).toBe(401);
    expect((await fetch(`${sim.url}/stores/nope/v3/catalog/products`, { headers: { "X-Auth-Token": "token" } })).status).toBe(404);
  });
});

describe("BigCommerce simulator: adjustments", () => {
  const put = async (body: unknown) => {
    await clock.advance(30_000);
    return fetch(`${sim.url}/stores/abc123/v3/inventory/adjustments/absolute`, {
      method: "PUT",
      headers: { "X-Auth-Token": "token", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  };

  it("refuses more than 2,000 items, unknown locations and items without exactly one identity, changing nothing", async () => {
    const store = sim.store("abc123");
    const variant = [...store.variants.values()][0]!;
    const before = store.onHand(variant.id, 1);
    const tooMany = Array.from({ length: 2_001 }, () => ({ location_id: 1, variant_id: variant.id, quantity: 1 }));
    expect((await put({ reason: "x", items: tooMany })).status).toBe(422);
    expect((await put({ reason: "x", items: [{ location_id: 42, variant_id: variant.id, quantity: 1 }] })).status).toBe(422);
    expect((await put({ reason: "x", items: [{ location_id: 1, variant_id: variant.id, sku: variant.sku, quantity: 1 }] })).status).toBe(422);
    expect((await put({ reason: "x", items: [{ location_id: 1, variant_id: variant.id, quantity: 3 }, { location_id: 9, sku: "x", quantity: 1 }] })).status).toBe(422);
    expect(store.onHand(variant.id, 1)).toBe(before);
  });

  it("absolute sets, relative adds, by variant id or sku, and reports each change thinly", async () => {
    const store = sim.store("abc123");
    const [first, second] = [...store.variants.values()];
    const kinds: string[] = [];
    const stop = sim.onChange((change) => kinds.push(change.kind));
    expect((await put({ reason: "count", items: [{ location_id: 1, variant_id: first!.id, quantity: 7 }, { location_id: 2, sku: second!.sku, quantity: 2 }] })).status).toBe(200);
    await clock.advance(30_000);
    const relative = await fetch(`${sim.url}/stores/abc123/v3/inventory/adjustments/relative`, {
      method: "POST",
      headers: { "X-Auth-Token": "token", "Content-Type": "application/json" },
      body: JSON.stringify({ reason: "order", items: [{ location_id: 1, variant_id: first!.id, quantity: -3 }] }),
    });
    stop();
    expect(relative.status).toBe(200);
    expect(await relative.json()).toMatchObject({ transaction_id: expect.any(String) });
    expect(store.onHand(first!.id, 1)).toBe(4);
    expect(store.onHand(second!.id, 2)).toBe(2);
    expect(kinds).toEqual(["store/sku/inventory/updated", "store/sku/inventory/updated", "store/sku/inventory/updated"]);
  });
});

describe("BigCommerce simulator and client conform to BigCommerce's OpenAPI descriptions", () => {
  it("requests the client sends and answers the simulator gives match the specs", async () => {
    const exchanges: Array<{ method: string; path: string; requestBody: unknown; status: number; responseBody: unknown }> = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = new URL(String(input));
      const text = await response.clone().text();
      exchanges.push({
        method: init?.method ?? "GET",
        path: url.pathname.replace(/^\/stores\/[^/]+/, ""),
        requestBody: init?.body ? JSON.parse(String(init.body)) : undefined,
        status: response.status,
        responseBody: text ? JSON.parse(text) : undefined,
      });
      return response;
    };
    const registry = createLimiterRegistry();
    const client = createBigCommerceClient({ storeHash: "spec", accessToken: "token", registry, baseUrl: sim.url, fetch: recordingFetch, clock });
    const store = sim.store("spec");
    const variant = [...store.variants.values()][0]!;
    for await (const product of listProducts(client)) expect(product.id).toBeGreaterThan(0);
    for await (const found of listVariants(client, { skus: [variant.sku] })) expect(found.sku).toBe(variant.sku);
    await client.request("GET", `/v3/catalog/products/${variant.product_id}`, { query: { include: "variants" } });
    await getInventoryItems(client, { variantIds: [variant.id] });
    await setAbsoluteInventory(client, [{ location_id: 1, variant_id: variant.id, quantity: 5 }, { location_id: 1, sku: variant.sku, quantity: 5 }], "sync");
    await adjustRelativeInventory(client, [{ location_id: 1, variant_id: variant.id, quantity: -1 }], "order");
    await client.request("GET", "/v3/inventory/locations");
    await setAbsoluteInventory(client, [{ location_id: 77, variant_id: variant.id, quantity: 1 }], "sync").catch(() => undefined);
    client.close();
    await registry.close();

    expect(exchanges.map((e) => e.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 422]);
    for (const exchange of exchanges) {
      if (exchange.requestBody !== undefined) expect(requestErrors(exchange.method, exchange.path, exchange.requestBody), `${exchange.method} ${exchange.path} request`).toEqual([]);
      expect(responseErrors(exchange.method, exchange.path, exchange.status, exchange.responseBody), `${exchange.method} ${exchange.path} ${exchange.status}`).toEqual([]);
    }
  });

  it("the spec check has teeth: a wrong body is reported", () => {
    expect(requestErrors("PUT", "/v3/inventory/adjustments/absolute", { items: [{ location_id: "one", quantity: 1 }] })).not.toEqual([]);
    expect(responseErrors("GET", "/v3/inventory/items", 200, { data: [{ identity: { variant_id: "x" } }] })).not.toEqual([]);
  });
});
