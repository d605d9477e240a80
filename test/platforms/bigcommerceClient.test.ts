import { describe, expect, it } from "vitest";
import { listProducts } from "../../app/platforms/bigcommerce/catalog.server";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { adjustRelativeInventory, chunk, getInventoryItems, setAbsoluteInventory } from "../../app/platforms/bigcommerce/inventory.server";
import { recordingClock } from "../helpers/clock";
import { useBigCommerceSimulator } from "../helpers/simulators";

const { sim, registry: newRegistry, track } = useBigCommerceSimulator();

let storeCounter = 0;

/** A fresh store with a small quota in a short window (10 requests / 300 ms) so tests stay fast. */
function freshStore(seed: { products?: number; variantsPerProduct?: number; locations?: string[] } = { products: 5, variantsPerProduct: 2 }) {
  const storeHash = `store${++storeCounter}`;
  const store = sim().addStore({ storeHash, accessToken: "token", quota: { requests: 10, windowMs: 300 }, seed });
  const registry = newRegistry();
  const clock = recordingClock();
  const client = createBigCommerceClient({ storeHash, accessToken: "token", registry, baseUrl: sim().url, clock, quota: { maxConcurrent: 3 } });
  track(client);
  const metrics = () => registry.metrics.for(`bigcommerce:${storeHash}`).snapshot();
  return { storeHash, store, client, clock, metrics };
}

describe("BigCommerce client against the simulated shared quota", () => {
  it("spreads a burst over the quota windows without a single 429", async () => {
    const { client, storeHash, metrics } = freshStore();
    const answers = await Promise.all(Array.from({ length: 35 }, () => client.request("GET", "/v3/catalog/products")));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const stats = sim().stats(storeHash);
    expect(stats).toMatchObject({ tooManyRequests: 0, served: 35 });
    expect(stats.windowsStarted).toBeGreaterThanOrEqual(4);
    expect(metrics()).toMatchObject({ throttles: 0, requests: 35 });
    expect(client.budget.lastQuota()).toMatchObject({ requestsQuota: 10, timeWindowMs: 300 });
  });

  it("when other apps spend the shared quota, a 429 waits for Time-Reset-Ms and succeeds", async () => {
    const { client, store, storeHash, clock, metrics } = freshStore();
    await client.request("GET", "/v3/catalog/products");
    store.consumeByOtherApps(100);
    const answer = await client.request("GET", "/v3/catalog/products");
    expect(answer.status).toBe(200);
    expect(sim().stats(storeHash).tooManyRequests).toBe(1);
    expect(metrics()).toMatchObject({ throttles: 1, retries: 1 });
    expect(clock.sleeps[0]).toBeGreaterThan(0);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(300 + 250);
  });

  it("notices from the answers what other apps spent and sends only what is left: no 429", async () => {
    const storeHash = `store${++storeCounter}`;
    const store = sim().addStore({ storeHash, accessToken: "token", quota: { requests: 20, windowMs: 60_000 }, seed: { products: 1 } });
    const registry = newRegistry();
    const client = createBigCommerceClient({ storeHash, accessToken: "token", registry, baseUrl: sim().url, clock: recordingClock(), quota: { maxConcurrent: 1 } });
    track(client);
    await client.request("GET", "/v3/catalog/products");
    store.consumeByOtherApps(10);
    // 19 left as far as we knew; the next answer says 8 — the other 10 were spent by someone else.
    await client.request("GET", "/v3/catalog/products");
    await Promise.all(Array.from({ length: 8 }, () => client.request("GET", "/v3/catalog/products")));
    expect(sim().stats(storeHash)).toMatchObject({ served: 10, otherApps: 10, tooManyRequests: 0 });
    // The quota is spent: one more waits for the window instead of collecting a 429.
    void client.request("GET", "/v3/catalog/products").catch(() => undefined);
    const settled = () => {
      const counts = client.budget.limiter.counts();
      return (counts.QUEUED ?? 0) + (counts.RUNNING ?? 0) + (counts.EXECUTING ?? 0) > 0;
    };
    // Bounded poll until Bottleneck has placed the job (received → queued, or running if it could go).
    for (let i = 0; i < 2_000 && !settled(); i++) await new Promise((resolve) => setImmediate(resolve));
    expect(client.budget.limiter.counts().QUEUED).toBe(1);
    expect(sim().stats(storeHash).requests).toBe(10);
  });

  it("retries a 500 on a read", async () => {
    const { client, storeHash } = freshStore();
    sim().injectFault(storeHash, "http500");
    await expect(client.request("GET", "/v3/catalog/products")).resolves.toMatchObject({ status: 200 });
  });

  it("sets absolute inventory in chunks of at most 2,000 items", async () => {
    const { client, store } = freshStore({ products: 2_250, variantsPerProduct: 1, locations: ["A", "B"] });
    const items = [...store.variants.values()].flatMap((variant) =>
      [...store.locations.keys()].map((locationId) => ({ location_id: locationId, variant_id: variant.id, quantity: variant.id % 17 })),
    );
    expect(items).toHaveLength(4_500);
    const transactions = await setAbsoluteInventory(client, items, "Lockstep sync");
    expect(transactions).toHaveLength(3);
    for (const item of items) expect(store.onHand(item.variant_id, item.location_id)).toBe(item.quantity);
    expect(chunk(items).map((part) => part.length)).toEqual([2_000, 2_000, 500]);
  });

  it("an absolute set whose answer was lost is retried (it is idempotent)", async () => {
    const { client, store, storeHash } = freshStore();
    const variant = [...store.variants.values()][0]!;
    sim().injectFault(storeHash, "drop-after-apply");
    await setAbsoluteInventory(client, [{ location_id: 1, variant_id: variant.id, quantity: 3 }], "sync");
    expect(store.onHand(variant.id, 1)).toBe(3);
  });

  it("a relative adjustment whose answer was lost is not repeated: it surfaces as ambiguous", async () => {
    const { client, store, storeHash } = freshStore();
    const variant = [...store.variants.values()][0]!;
    sim().injectFault(storeHash, "drop-after-apply");
    const error = await adjustRelativeInventory(client, [{ location_id: 1, variant_id: variant.id, quantity: -2 }], "order 1").catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "outbound_rejected", details: { ambiguous: true } });
    expect(store.onHand(variant.id, 1)).toBe(8);
  });

  it("a rejected adjustment (422) is not retried", async () => {
    const { client, storeHash } = freshStore();
    const before = sim().stats(storeHash).requests;
    await expect(setAbsoluteInventory(client, [{ location_id: 99, variant_id: 1, quantity: 1 }], "sync")).rejects.toMatchObject({
      code: "outbound_rejected",
      details: { httpStatus: 422 },
    });
    expect(sim().stats(storeHash).requests - before).toBe(1);
  });

  it("reads the catalog page by page and inventory by variant", async () => {
    const { client, store } = freshStore({ products: 7, variantsPerProduct: 2, locations: ["A", "B"] });
    const products = [];
    for await (const product of listProducts(client, 3)) products.push(product);
    expect(products).toHaveLength(7);
    expect(products[0]!.variants).toHaveLength(2);
    const variant = [...store.variants.values()][3]!;
    const items = await getInventoryItems(client, { variantIds: [variant.id] });
    expect(items).toHaveLength(1);
    expect(items[0]!.locations.map((location) => location.total_inventory_onhand)).toEqual([10, 10]);
  });
});
