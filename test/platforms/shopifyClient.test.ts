import { describe, expect, it } from "vitest";
import { type ShopifyAdminClientOptions, createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { productVariantsBulkUpdate, productVariantsPage } from "../../app/platforms/shopify/documents/catalog";
import { adjustInventoryQuantities, setInventoryQuantities } from "../../app/platforms/shopify/inventory.server";
import { shopifyOperation } from "../../app/platforms/shopify/operation";
import { type SimulatedChange } from "../../simulators/changes";
import { gid } from "../../simulators/shopify/store";
import { recordingClock } from "../helpers/clock";
import { useShopifySimulator } from "../helpers/simulators";

const { sim, registry: newRegistry } = useShopifySimulator();

let shopCounter = 0;

/** A fresh shop with a small, fast bucket (200 points, 1,000/s) so tests run in milliseconds. */
function freshShop(seed = { products: 5, variantsPerProduct: 2, locations: ["Main", "Backroom"] }, extra: Partial<ShopifyAdminClientOptions> = {}) {
  const domain = `test-${++shopCounter}.myshopify.com`;
  const shop = sim().addShop({ domain, accessToken: "shpat_test", bucket: { maximumAvailable: 200, restoreRate: 1_000 }, seed });
  // Credits every 25 ms, so only 25 of the 200 points are held back as margin.
  const registry = newRegistry({ refillIntervalMs: 25 });
  const clock = recordingClock();
  const client = createShopifyAdminClient({
    shop: domain,
    accessToken: "shpat_test",
    registry,
    endpoint: sim().endpointFor(domain),
    clock,
    ...extra,
  });
  const metrics = () => registry.metrics.for(`shopify:${domain}`).snapshot();
  return { domain, shop, client, clock, metrics };
}

function firstLevel(shop: ReturnType<typeof freshShop>["shop"]) {
  const variant = [...shop.variants.values()][0]!;
  const location = [...shop.locations.values()][0]!;
  return {
    level: shop.level(variant.inventoryItemId, location.id)!,
    inventoryItemId: gid("InventoryItem", variant.inventoryItemId),
    locationId: gid("Location", location.id),
  };
}

describe("Shopify Admin client against the simulated cost bucket", () => {
  it("keeps a burst of concurrent requests inside the bucket: no THROTTLED answer at all", async () => {
    const { client, domain, metrics } = freshShop();
    // 40 × 33 points = 1,320 points through a 200-point bucket.
    const results = await Promise.all(Array.from({ length: 40 }, () => client.request(productVariantsPage, { first: 10 })));
    expect(results.every((result) => result.data.productVariants.nodes.length === 10)).toBe(true);
    const stats = sim().stats(domain);
    expect(stats.throttled).toBe(0);
    expect(stats.requests).toBe(40);
    expect(metrics()).toMatchObject({ throttles: 0, retries: 0, requests: 40 });
    expect(client.budget.lastStatus()).toMatchObject({ maximumAvailable: 200, restoreRate: 1_000 });
  });

  it("treats THROTTLED in an HTTP 200 answer as a throttle and retries after the wait the bucket implies", async () => {
    const { client, domain, shop, clock, metrics } = freshShop();
    sim().injectFault(domain, "throttle", 2);
    const { data } = await client.request(productVariantsPage, { first: 5 });
    expect(data.productVariants.nodes).toHaveLength(5);
    expect(sim().stats(domain).throttled).toBe(2);
    expect(metrics()).toMatchObject({ throttles: 2, retries: 2 });
    expect(clock.sleeps).toHaveLength(2);
    // A real empty bucket: the wait asked for covers the missing points at the restore rate.
    shop.bucket.tryTake(shop.bucket.available());
    await client.request(productVariantsPage, { first: 5 });
    expect(sim().stats(domain).throttled).toBeGreaterThanOrEqual(2);
  });

  it("recovers from an HTTP 429, waiting at least its Retry-After", async () => {
    const { client, domain, clock, metrics } = freshShop();
    sim().injectFault(domain, "http429");
    await client.request(productVariantsPage, { first: 1 });
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(1_000);
    expect(metrics()).toMatchObject({ throttles: 1, retries: 1 });
  });

  it("retries a 500 and counts the failure", async () => {
    const { client, domain, metrics } = freshShop();
    sim().injectFault(domain, "http500", 2);
    await client.request(productVariantsPage, { first: 1 });
    expect(metrics()).toMatchObject({ failures: 2, retries: 2 });
  });

  it("does not retry a document the schema rejects, and says why", async () => {
    const { client, domain } = freshShop();
    const broken = shopifyOperation<unknown, { first: number }>("query LockstepBroken($first: Int!) { productVariants(first: $first) { nodes { skuu } } }");
    const error = await client.request(broken, { first: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "outbound_rejected" });
    expect(String((error as Error).message)).toMatch(/skuu/);
    expect(sim().stats(domain)).toMatchObject({ requests: 1, invalid: 1 });
  });

  it("refuses a query that costs more than the whole bucket before sending it", async () => {
    const { client, domain } = freshShop();
    await client.request(productVariantsPage, { first: 1 });
    await expect(client.request(productVariantsPage, { first: 100 })).rejects.toMatchObject({ code: "outbound_rejected" });
    expect(sim().stats(domain).requests).toBe(1);
  });

  it("a wrong access token is a rejection, not retried", async () => {
    const { domain } = freshShop();
    const registry = newRegistry();
    const client = createShopifyAdminClient({ shop: domain, accessToken: "wrong", registry, endpoint: sim().endpointFor(domain), clock: recordingClock() });
    await expect(client.request(productVariantsPage, { first: 1 })).rejects.toMatchObject({ code: "outbound_rejected", details: { httpStatus: 401 } });
  });

  it("pushes prices with productVariantsBulkUpdate and the change is reported", async () => {
    const { client, shop, domain } = freshShop();
    const changes: SimulatedChange[] = [];
    const stop = sim().onChange((change) => changes.push(change));
    const product = [...shop.products.values()][0]!;
    const variantId = product.variantIds[0]!;
    const { data } = await client.request(productVariantsBulkUpdate, {
      productId: gid("Product", product.id),
      variants: [{ id: gid("ProductVariant", variantId), price: "12.34" }],
    });
    stop();
    expect(data.productVariantsBulkUpdate.userErrors).toEqual([]);
    expect(shop.variants.get(variantId)!.price).toBe("12.34");
    expect(changes.find((change) => change.kind === "products/update" && change.shop === domain)).toBeDefined();
  });
});

describe("inventory mutations with changeFromQuantity and @idempotent", () => {
  it("sets a quantity with a correct guard in one round", async () => {
    const { client, shop } = freshShop();
    const { level, inventoryItemId, locationId } = firstLevel(shop);
    const result = await setInventoryQuantities(client, {
      name: "available",
      reason: "correction",
      idempotencyKey: "set-1",
      quantities: [{ inventoryItemId, locationId, quantity: 4, changeFromQuantity: 10 }],
    });
    expect(result.rounds).toBe(1);
    expect(result.group?.changes[0]).toMatchObject({ name: "available", delta: -6, quantityAfterChange: 4 });
    expect(level.quantities).toMatchObject({ available: 4, on_hand: 4 });
  });

  it("a stale absolute set re-reads the level and sets the intended quantity", async () => {
    const { client, shop } = freshShop();
    const { level, inventoryItemId, locationId } = firstLevel(shop);
    shop.applyDelta(level, "available", -3); // a sale we have not heard of yet: 10 → 7
    const result = await setInventoryQuantities(client, {
      name: "available",
      reason: "correction",
      idempotencyKey: "set-stale",
      quantities: [{ inventoryItemId, locationId, quantity: 20, changeFromQuantity: 10 }],
    });
    expect(result.rounds).toBe(2);
    expect(result.group?.changes[0]).toMatchObject({ delta: 13, quantityAfterChange: 20 });
    expect(level.quantities.available).toBe(20);
  });

  it("a stale delta is applied once against the fresh quantity: neither lost nor doubled", async () => {
    const { client, shop } = freshShop();
    const { level, inventoryItemId, locationId } = firstLevel(shop);
    shop.applyDelta(level, "available", -3); // 10 → 7 behind our back
    const result = await adjustInventoryQuantities(client, {
      name: "available",
      reason: "correction",
      idempotencyKey: "adjust-stale",
      changes: [{ inventoryItemId, locationId, delta: -2, changeFromQuantity: 10 }],
    });
    expect(result.rounds).toBe(2);
    expect(level.quantities.available).toBe(5);
  });

  it("an answer lost after the change was applied is retried with the same key and applied once", async () => {
    const { client, shop, domain } = freshShop();
    const { level, inventoryItemId, locationId } = firstLevel(shop);
    sim().injectFault(domain, "drop-after-apply");
    const result = await adjustInventoryQuantities(client, {
      name: "available",
      reason: "correction",
      idempotencyKey: "adjust-dropped",
      changes: [{ inventoryItemId, locationId, delta: -4, changeFromQuantity: 10 }],
    });
    expect(result.rounds).toBe(1);
    expect(level.quantities.available).toBe(6);
    expect(sim().stats(domain).idempotentReplays).toBe(1);
  });

  it("gives up when the quantity keeps changing under it", async () => {
    const { client, shop, domain } = freshShop();
    const { level, inventoryItemId, locationId } = firstLevel(shop);
    // Someone else changes the level before every one of our requests lands.
    // Three rounds: mutation, re-read, mutation, re-read, mutation.
    sim().injectFault(domain, "concurrent-change", 5);
    const error = await setInventoryQuantities(client, {
      name: "available",
      reason: "correction",
      idempotencyKey: "set-race",
      maxRounds: 3,
      quantities: [{ inventoryItemId, locationId, quantity: 1, changeFromQuantity: 10 }],
    }).catch((caught: unknown) => caught);
    expect(level.quantities.available).toBe(15);
    expect(error).toMatchObject({ code: "outbound_rejected", details: { staleRoundsExhausted: true } });
  });

  it("other user errors are not retried", async () => {
    const { client } = freshShop();
    const error = await setInventoryQuantities(client, {
      name: "available",
      reason: "not-a-reason",
      idempotencyKey: "bad-reason",
      quantities: [{ inventoryItemId: "gid://shopify/InventoryItem/1", locationId: "gid://shopify/Location/1", quantity: 1, changeFromQuantity: null }],
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "outbound_rejected", details: { staleRoundsExhausted: false } });
  });
});
