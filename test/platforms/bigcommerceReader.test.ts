import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { type BigCommerceClient, createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { createBigCommerceReader } from "../../app/platforms/bigcommerce/reader.server";
import { type SimulatedChange } from "../../simulators/changes";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { recordingClock } from "../helpers/clock";
import { responseErrors } from "../simulators/bigcommerceOpenApi";

let sim: BigCommerceSimulator;
const registry = createLimiterRegistry();
const exchanges: Array<{ path: string; status: number; body: unknown }> = [];

beforeAll(async () => {
  sim = await startBigCommerceSimulator({
    stores: [{ storeHash: "reader", accessToken: "token", quota: { requests: 1_000, windowMs: 30_000 }, seed: { products: 2, variantsPerProduct: 2, locations: ["Main", "Backroom"] } }],
  });
});

afterAll(async () => {
  client?.close();
  await registry.close();
  await sim.close();
});

const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const text = await response.clone().text();
  exchanges.push({ path: new URL(String(input)).pathname.replace(/^\/stores\/[^/]+/, ""), status: response.status, body: text ? JSON.parse(text) : undefined });
  return response;
};
// The simulator's URL is only known after start: the reader asks for the client lazily (one per store).
let client: BigCommerceClient | undefined;
const reader = createBigCommerceReader(async (storeHash) => {
  expect(storeHash).toBe("reader");
  client ??= createBigCommerceClient({ storeHash, accessToken: "token", registry, baseUrl: sim.url, fetch: recordingFetch, clock: recordingClock() });
  return client;
});

describe("BigCommerceReader over the throttled client", () => {
  it("reads a product with its variants, and null once it is gone", async () => {
    const product = [...sim.store("reader").products.values()][0]!;
    const state = await reader.getProduct("reader", String(product.id));
    expect(state).toMatchObject({ id: String(product.id), name: product.name, visible: true, variants: [{ sku: "BC-0001-1" }, { sku: "BC-0001-2" }] });
    expect(state!.dateModified).toBeInstanceOf(Date);
    await expect(reader.getProduct("reader", "424242")).resolves.toBeNull();
  });

  it("reads a product's brand name through its brand_id (one more call, only when it names one)", async () => {
    const store = sim.store("reader");
    const branded = store.addProduct("Ridge Tent", [{ sku: "RIDGE-1", price: 250 }], { brandId: store.addBrand("Northwind Outdoor") });
    const plain = store.addProduct("Camp Cup", [{ sku: "CUP-1", price: 9 }]);
    exchanges.length = 0;
    expect(await reader.getProduct("reader", String(branded.id))).toMatchObject({ brand: "Northwind Outdoor" });
    expect((await reader.getProduct("reader", String(plain.id)))?.brand).toBeUndefined();
    expect(exchanges.map((exchange) => exchange.path)).toEqual([`/v3/catalog/products/${branded.id}`, `/v3/catalog/brands/${branded.brandId}`, `/v3/catalog/products/${plain.id}`]);
  });

  it("reads inventory at every location by product or by variants", async () => {
    const store = sim.store("reader");
    const product = [...store.products.values()][1]!;
    const byProduct = await reader.getInventoryLevels("reader", { productId: String(product.id) });
    expect(byProduct).toHaveLength(4);
    const variantId = product.variantIds[0]!;
    const byVariant = await reader.getInventoryLevels("reader", { variantIds: [String(variantId)] });
    expect(byVariant).toEqual([
      { variantId: String(variantId), sku: "BC-0002-1", locationId: "1", onHand: 10 },
      { variantId: String(variantId), sku: "BC-0002-1", locationId: "2", onHand: 10 },
    ]);
  });

  it("reads an order placed in the store (reported thinly) with its lines and refunds", async () => {
    const store = sim.store("reader");
    const variant = [...store.variants.values()][0]!;
    const changes: SimulatedChange[] = [];
    const stop = sim.onChange((change) => changes.push(change));
    const order = store.placeOrder({ lines: [{ variantId: variant.id, quantity: 3 }], cartId: "cart-77", customerId: 5 });
    const refundId = store.refundOrder(order.id, [{ lineItemId: order.lines[0]!.id, quantity: 1 }]);
    stop();
    expect(changes.map((change) => change.kind)).toEqual(["store/order/created", "store/sku/inventory/order/updated", "store/order/refund/created"]);
    expect(changes[0]!.payload).toMatchObject({ scope: "store/order/created", store_id: "reader", data: { type: "order", id: order.id } });
    expect(store.onHand(variant.id, 1)).toBe(7);

    const state = await reader.getOrder("reader", String(order.id));
    expect(state).toMatchObject({
      id: String(order.id),
      status: "Awaiting Fulfillment",
      cartId: "cart-77",
      customerId: "5",
      currency: "USD",
      lineItems: [{ id: String(order.lines[0]!.id), variantId: String(variant.id), sku: variant.sku, quantity: 3 }],
    });
    expect(Number.isNaN(state!.dateModified.getTime())).toBe(false);
    const refunds = await reader.getRefunds("reader", String(order.id));
    expect(refunds).toEqual([{ id: String(refundId), orderId: String(order.id), createdAt: expect.any(Date), items: [{ lineItemId: String(order.lines[0]!.id), quantity: 1 }] }]);
    await expect(reader.getOrder("reader", "999999")).resolves.toBeNull();
  });

  it("the order answers match BigCommerce's v2 OpenAPI description", () => {
    const orderAnswers = exchanges.filter((exchange) => exchange.path.startsWith("/v2/orders/") && exchange.status === 200);
    expect(orderAnswers.length).toBeGreaterThanOrEqual(2);
    for (const exchange of orderAnswers) expect(responseErrors("GET", exchange.path, exchange.status, exchange.body), exchange.path).toEqual([]);
  });
});
