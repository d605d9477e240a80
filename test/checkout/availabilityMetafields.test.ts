import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AvailabilityMetafieldSyncDeps, createAvailabilityMetafieldSync } from "../../app/checkout/availabilityMetafields.server";
import { withAvailabilityMetafieldSync } from "../../app/checkout/syncOnChange.server";
import { createReservations } from "../../app/reservations/reservations.server";
import { AVAILABILITY_METAFIELD_KEY, LOCKSTEP_METAFIELD_NAMESPACE } from "../../app/checkout/metafields";
import { readAvailability } from "../../extensions/availability-validation/src/availability";
import { useTestDatabase } from "../helpers/database";
import { seedStockShop, setLevel, type StockServices, stockServices } from "../reservations/stockFixture";
import { manualClock } from "../helpers/clock";
import { type AdminFake, startAdminFake } from "./adminFake";
import { until } from "../helpers/expectations";

const getDb = useTestDatabase();

/** A coalescing window the test closes by hand: no timers, no waiting. */
function manualWindow() {
  const waiting: Array<() => void> = [];
  return {
    clock: { sleep: () => new Promise<void>((resolve) => waiting.push(resolve)) },
    close() {
      for (const resolve of waiting.splice(0)) resolve();
    },
    get open() {
      return waiting.length;
    },
  };
}

describe("availability metafields for the checkout Function", () => {
  let clock: ReturnType<typeof manualClock>;
  let s: StockServices;
  let fake: AdminFake;
  const fakes: AdminFake[] = [];
  beforeEach(() => {
    clock = manualClock();
    s = stockServices(getDb(), clock);
  });
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  function sync(overrides: Partial<AvailabilityMetafieldSyncDeps> = {}, variants = Array.from({ length: 100 }, (_, i) => i + 1)) {
    fake = startAdminFake({ variants, now: clock.now });
    fakes.push(fake);
    return createAvailabilityMetafieldSync({
      sql: getDb().sql,
      availability: s.availability,
      getPolicy: (shopId) => s.settings.getPolicy(shopId),
      adminClientFor: async () => fake.client,
      windowMs: 0,
      ...overrides,
    });
  }

  const stored = (variant: number) => {
    const metafield = fake.metafields.get(`gid://shopify/ProductVariant/${variant}`, LOCKSTEP_METAFIELD_NAMESPACE, AVAILABILITY_METAFIELD_KEY);
    return metafield && { type: metafield.type, namespace: metafield.namespace, value: JSON.parse(metafield.value) as unknown };
  };
  const metafieldsSetCalls = () => fake.received.filter((call) => call.operationName === "LockstepMetafieldsSet");

  it("writes each variant's availability, in the shape the Function reads, after a reservation changes it", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "TEE", stock: [3, 2] }, { sku: "CAP", stock: [1, 0] }], clock.date());
    const metafields = sync();
    expect(await metafields.syncAvailabilityMetafields(shop.shopId, ["TEE", "CAP"])).toEqual({ written: ["TEE", "CAP"], skipped: [], failed: [] });
    expect(stored(1)).toEqual({
      type: "json",
      namespace: "app--424242--lockstep",
      value: {
        available: 5,
        updatedAt: clock.date().toISOString(),
        stale: false,
        stock: "physical",
        stalePolicy: { maxAgeSeconds: 900, fallback: "cap", capQuantity: 1, lowStockThreshold: 3 },
      },
    });
    expect(readAvailability(stored(1)!.value)).toEqual(stored(1)!.value);

    await s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "TEE", quantity: 4 }] });
    await metafields.syncAvailabilityMetafields(shop.shopId, ["TEE"]);
    expect(stored(1)!.value).toMatchObject({ available: 1 });
    expect(stored(2)!.value).toMatchObject({ available: 1 });
  });

  it("coalesces a burst: one call per window, each SKU once, with the availability read when the window closes", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "HOT", stock: [10, 0] }, { sku: "WARM", stock: [4, 0] }], clock.date());
    const window = manualWindow();
    const metafields = sync({ clock: window.clock });
    const burst = Array.from({ length: 10 }, () => metafields.syncAvailabilityMetafields(shop.shopId, ["HOT"]));
    const warm = metafields.syncAvailabilityMetafields(shop.shopId, ["WARM", "HOT"]);
    // Stock moves while the window is open: the write carries the latest number, not the first.
    await setLevel(getDb(), shop.variants.get("HOT")!, shop.locations[0]!, { onHand: 7 }, clock.date());
    await s.availability.invalidate(shop.shopId, ["HOT"]);
    expect(metafields.pendingShops()).toBe(1);
    window.close();
    const results = await Promise.all([...burst, warm]);
    expect(results[0]).toEqual({ written: ["HOT"], skipped: [], failed: [] });
    expect(results[10]).toEqual({ written: ["HOT", "WARM"], skipped: [], failed: [] });
    expect(metafieldsSetCalls()).toHaveLength(1);
    expect((metafieldsSetCalls()[0]!.variables.metafields as unknown[]).length).toBe(2);
    expect(stored(1)!.value).toMatchObject({ available: 7 });
  });

  it("writes at most 25 metafields per call, through the shop's limiter", async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ sku: `SKU-${String(i).padStart(2, "0")}`, stock: [i, 0] }));
    const shop = await seedStockShop(getDb(), items, clock.date());
    const metafields = sync();
    const result = await metafields.syncAvailabilityMetafields(shop.shopId, items.map((item) => item.sku));
    expect(result.written).toHaveLength(60);
    expect(metafieldsSetCalls().map((call) => (call.variables.metafields as unknown[]).length)).toEqual([25, 25, 10]);
    expect(stored(60)!.value).toMatchObject({ available: 59 });
    const limiterMetrics = fake.registry.metrics.for(`shopify:${fake.client.shop}`).snapshot();
    expect(limiterMetrics.requests).toBe(3);
    expect(limiterMetrics.costUsed).toBe(30);
  });

  it("the simulated Shopify refuses more than 25 metafields in one call", () => {
    fake = startAdminFake({ variants: [1] });
    fakes.push(fake);
    const inputs = Array.from({ length: 26 }, () => ({ ownerId: "gid://shopify/ProductVariant/1", namespace: "$app:lockstep", key: "availability", type: "json", value: "{}" }));
    expect(() => fake.metafields.set(inputs)).toThrow("The input array size of 26 is greater than the maximum allowed of 25.");
  });

  it("skips unknown SKUs, variants without a Shopify id, and shops that are not on Shopify", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "OK", stock: [1, 0] }, { sku: "BC", stock: [1, 0] }], clock.date());
    await getDb().sql.query(`UPDATE variant SET external_id = 'bc-77' WHERE id = $1`, [shop.variants.get("BC")]);
    const metafields = sync();
    expect(await metafields.syncAvailabilityMetafields(shop.shopId, ["OK", "BC", "GHOST"])).toEqual({
      written: ["OK"],
      skipped: [{ sku: "GHOST", reason: "unknown_sku" }, { sku: "BC", reason: "no_variant_id" }],
      failed: [],
    });
    const elsewhere = sync({ adminClientFor: async () => undefined });
    expect(await elsewhere.syncAvailabilityMetafields(shop.shopId, ["OK"])).toEqual({ written: [], skipped: [{ sku: "OK", reason: "not_on_shopify" }], failed: [] });
    expect(await elsewhere.syncAvailabilityMetafields(shop.shopId, [])).toEqual({ written: [], skipped: [], failed: [] });
  });

  it("re-sends the rest of a call when Shopify refuses some of its metafields (it saves all or none)", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [1, 0] }, { sku: "GONE", stock: [2, 0] }, { sku: "C", stock: [3, 0] }], clock.date());
    const failures: unknown[] = [];
    // Variant 2 was deleted on Shopify: its owner no longer exists.
    const metafields = sync({ onFailure: (shopId, failed) => failures.push({ shopId, failed }) }, [1, 3]);
    const result = await metafields.syncAvailabilityMetafields(shop.shopId, ["A", "GONE", "C"]);
    expect(result).toEqual({ written: ["A", "C"], skipped: [], failed: [{ sku: "GONE", message: "INVALID: Owner does not exist." }] });
    expect(failures).toEqual([{ shopId: shop.shopId, failed: result.failed }]);
    expect(metafieldsSetCalls().map((call) => (call.variables.metafields as unknown[]).length)).toEqual([3, 2]);
    expect(stored(3)!.value).toMatchObject({ available: 3 });
  });

  it("retries a failing Shopify through the outbound retry policy, and reports the SKUs when it keeps failing", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [1, 0] }], clock.date());
    const metafields = sync();
    fake.failNext(503, 1);
    expect((await metafields.syncAvailabilityMetafields(shop.shopId, ["A"])).written).toEqual(["A"]);
    expect(fake.registry.metrics.for(`shopify:${fake.client.shop}`).snapshot().retries).toBe(1);

    fake.failNext(500, 6);
    const result = await metafields.syncAvailabilityMetafields(shop.shopId, ["A"]);
    expect(result.written).toEqual([]);
    expect(result.failed).toEqual([{ sku: "A", message: expect.stringContaining("500") }]);
  });

  it("writes the shop's stale policy, and the conservative number for stock the platform stopped confirming", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "OLD", stock: [9, 0] }], new Date(clock.now() - 3_600_000));
    await s.settings.updatePolicy(shop.shopId, { staleAction: "hide_low_stock", lowStockThreshold: 4, staleAfterSeconds: 600 });
    const metafields = sync();
    await metafields.syncAvailabilityMetafields(shop.shopId, ["OLD"]);
    expect(stored(1)!.value).toEqual({
      available: 9,
      updatedAt: new Date(clock.now() - 3_600_000).toISOString(),
      stale: true,
      stock: "physical",
      stalePolicy: { maxAgeSeconds: 600, fallback: "block_low_stock", capQuantity: 1, lowStockThreshold: 4 },
    });
    await s.settings.updatePolicy(shop.shopId, { staleAction: "block" });
    await metafields.syncAvailabilityMetafields(shop.shopId, ["OLD"]);
    expect(stored(1)!.value).toMatchObject({ available: 0, stale: true, stalePolicy: { fallback: "cap", capQuantity: 0 } });
  });

  it("marks preorder stock as such, so the Function does not age it by the platform's confirmation", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "DROP", stock: [0, 0] }], clock.date());
    await s.settings.setVirtualStock(shop.shopId, "DROP", { kind: "preorder", limit: 5, promiseDate: null });
    const metafields = sync();
    await metafields.syncAvailabilityMetafields(shop.shopId, ["DROP"]);
    expect(stored(1)!.value).toMatchObject({ available: 5, stock: "preorder", stale: false });
  });

  it("syncs every item of the shop page by page (after install, a policy change, or to repair)", async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ sku: `ALL-${i}`, stock: [i + 1, 0] }));
    const shop = await seedStockShop(getDb(), items, clock.date());
    const metafields = sync({ pageSize: 2 });
    const result = await metafields.syncAllAvailabilityMetafields(shop.shopId);
    expect(result.written.sort()).toEqual(items.map((item) => item.sku));
    expect(metafieldsSetCalls()).toHaveLength(3);
    for (let variant = 1; variant <= 5; variant++) expect(stored(variant)!.value).toMatchObject({ available: variant });
  });

  it("never lets a change that arrives during a write be overtaken: it goes out after, with the newer number", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "RACE", stock: [6, 0] }], clock.date());
    const window = manualWindow();
    const metafields = sync({ clock: window.clock });
    const first = metafields.syncAvailabilityMetafields(shop.shopId, ["RACE"]);
    await until(() => window.open === 1);
    window.close();
    // The first write is on its way; the stock changes and a second sync is asked for.
    await setLevel(getDb(), shop.variants.get("RACE")!, shop.locations[0]!, { onHand: 2 }, clock.date());
    await s.availability.invalidate(shop.shopId, ["RACE"]);
    const second = metafields.syncAvailabilityMetafields(shop.shopId, ["RACE"]);
    await until(() => window.open === 1);
    window.close();
    await Promise.all([first, second]);
    expect(metafieldsSetCalls()).toHaveLength(2);
    expect(stored(1)!.value).toMatchObject({ available: 2 });
  });

  it("repairs an older reading another process wrote after ours: the last writer checks again", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "TWO-PROC", stock: [6, 0] }], clock.date());
    const slowWindow = manualWindow();
    const metafields = sync({ windowMs: 0 });
    // Process A's Admin calls are held until the test lets them go.
    let releaseA!: () => void;
    const held = new Promise<void>((resolve) => (releaseA = resolve));
    let aCalls = 0;
    const slowClient = { ...fake.client, request: (async (operation, variables) => {
      aCalls++;
      await held;
      return fake.client.request(operation, variables);
    }) as typeof fake.client.request };
    const processA = createAvailabilityMetafieldSync({
      sql: getDb().sql,
      availability: s.availability,
      getPolicy: (shopId) => s.settings.getPolicy(shopId),
      adminClientFor: async () => slowClient,
      clock: slowWindow.clock,
    });
    const a = processA.syncAvailabilityMetafields(shop.shopId, ["TWO-PROC"]);
    await until(() => slowWindow.open === 1);
    slowWindow.close();
    // A has read 6 (its write is built from that reading) and waits to write; meanwhile stock
    // drops and process B writes 2.
    await until(() => aCalls === 1);
    expect(fake.received).toHaveLength(0);
    await setLevel(getDb(), shop.variants.get("TWO-PROC")!, shop.locations[0]!, { onHand: 2 }, clock.date());
    await s.availability.invalidate(shop.shopId, ["TWO-PROC"]);
    await metafields.syncAvailabilityMetafields(shop.shopId, ["TWO-PROC"]);
    expect(stored(1)!.value).toMatchObject({ available: 2 });
    releaseA();
    await a;
    // A's late write put 6 back; its check after writing sees 2 and writes it again.
    await until(() => slowWindow.open === 1);
    slowWindow.close();
    await until(() => metafieldsSetCalls().length === 3);
    await until(() => (stored(1)!.value as { available: number }).available === 2);
  });

  it("reports written SKUs it could not check again after writing", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "CHECK", stock: [3, 0] }], clock.date());
    const failures: unknown[] = [];
    let policyReads = 0;
    const metafields = sync({
      getPolicy: (shopId) => (++policyReads === 1 ? s.settings.getPolicy(shopId) : Promise.reject(new Error("database gone"))),
      onFailure: (_shopId, failed) => failures.push(...failed),
    });
    expect((await metafields.syncAvailabilityMetafields(shop.shopId, ["CHECK"])).written).toEqual(["CHECK"]);
    expect(failures).toEqual([{ sku: "CHECK", message: "not checked after writing: database gone" }]);
  });

  it("runs at most one full sync per shop plus one waiting, whatever the number of requests", async () => {
    const items = Array.from({ length: 3 }, (_, i) => ({ sku: `FULL-${i}`, stock: [i + 1, 0] }));
    const shop = await seedStockShop(getDb(), items, clock.date());
    const window = manualWindow();
    const metafields = sync({ clock: window.clock });
    const first = metafields.syncAllAvailabilityMetafields(shop.shopId);
    // Asked for before the first one started: the same sync.
    expect(metafields.syncAllAvailabilityMetafields(shop.shopId)).toBe(first);
    await until(() => window.open === 1);
    // Asked for while it runs: one more sync, after it, shared by every caller.
    const joiners = Array.from({ length: 5 }, () => metafields.syncAllAvailabilityMetafields(shop.shopId));
    expect(new Set(joiners).size).toBe(1);
    window.close();
    await until(() => window.open === 1);
    expect(metafieldsSetCalls()).toHaveLength(1);
    window.close();
    const results = await Promise.all([first, ...joiners]);
    expect(metafieldsSetCalls()).toHaveLength(2);
    expect(results.every((result) => result.written.length === 3)).toBe(true);
    // Once both are done, a new request runs a new sync.
    const again = metafields.syncAllAvailabilityMetafields(shop.shopId);
    await until(() => window.open === 1);
    window.close();
    await again;
    expect(metafieldsSetCalls()).toHaveLength(3);
  });

  describe("wired into availability's invalidation", () => {
    it("writes after a reservation without making the reservation wait for Shopify", async () => {
      const shop = await seedStockShop(getDb(), [{ sku: "FLASH", stock: [5, 0] }], clock.date());
      const window = manualWindow();
      const errors: unknown[] = [];
      const availability = withAvailabilityMetafieldSync(s.availability, sync({ clock: window.clock }), (_shopId, error) => errors.push(error));
      const reservations = createReservations({ db: getDb(), availability, now: clock.date });
      // The reservation completes while the metafield write still waits for its window.
      await reservations.reserve(shop.shopId, { key: "cart-flash", lines: [{ sku: "FLASH", quantity: 3 }] });
      expect(stored(1)).toBeUndefined();
      await until(() => window.open === 1);
      window.close();
      await until(() => stored(1) !== undefined);
      expect(stored(1)!.value).toMatchObject({ available: 2 });
      expect(await availability.bySku(shop.shopId, ["FLASH"])).toMatchObject([{ sku: "FLASH", available: 2 }]);
      expect(errors).toEqual([]);
    });

    it("turns a shop-wide change (policy) into a full sync, and reports a sync that throws", async () => {
      const shop = await seedStockShop(getDb(), [{ sku: "P1", stock: [1, 0] }, { sku: "P2", stock: [2, 0] }], clock.date());
      const errors: unknown[] = [];
      const metafields = sync();
      const availability = withAvailabilityMetafieldSync(s.availability, metafields, (shopId, error) => errors.push({ shopId, error }));
      await availability.invalidate(shop.shopId, null);
      await until(() => stored(1) !== undefined && stored(2) !== undefined);
      expect(stored(2)!.value).toMatchObject({ available: 2 });

      const broken = withAvailabilityMetafieldSync(s.availability, sync({ getPolicy: () => Promise.reject(new Error("database gone")) }), (shopId, error) => errors.push({ shopId, error }));
      await broken.invalidate(shop.shopId, ["P1"]);
      await until(() => errors.length === 1);
      expect(errors).toEqual([{ shopId: shop.shopId, error: new Error("database gone") }]);
    });
  });
});
