import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../app/inventory/policy";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, setLevel, type StockServices, stockServices } from "../reservations/stockFixture";
import { manualClock } from "../helpers/clock";
import { rejection } from "../helpers/expectations";

const getDb = useTestDatabase();

describe("availability: bundles, virtual stock, locations, stale data", () => {
  let clock: ReturnType<typeof manualClock>;
  let s: StockServices;
  beforeEach(() => {
    clock = manualClock();
    s = stockServices(getDb(), clock);
  });
  const availableOf = async (shopId: string, skus: string[], locationId?: string) =>
    Object.fromEntries((await s.availability.bySku(shopId, skus, { locationId })).map((i) => [i.sku, i.available]));

  it("uses the schema's own defaults when a shop has no policy row", async () => {
    const shop = await seedStockShop(getDb(), [], clock.date());
    expect(await s.settings.getPolicy(shop.shopId)).toEqual(DEFAULT_POLICY);
    const row = await getDb().prisma.inventoryPolicy.create({ data: { shopId: shop.shopId } });
    const { shopId: _shopId, updatedAt: _updatedAt, ...columns } = row;
    expect(columns).toEqual(DEFAULT_POLICY);
  });

  it("computes a bundle from its components and reserves the components together", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "KIT", stock: [0, 0] }, { sku: "TENT", stock: [3, 0] }, { sku: "PEG", stock: [9, 1] }], clock.date());
    await s.settings.setBundleComponents(shop.shopId, "KIT", [{ sku: "TENT", quantity: 1 }, { sku: "PEG", quantity: 4 }]);
    // min(3 / 1, floor(10 / 4)) = 2
    expect(await availableOf(shop.shopId, ["KIT", "TENT", "PEG"])).toEqual({ KIT: 2, TENT: 3, PEG: 10 });

    await s.reservations.reserve(shop.shopId, { key: "kit-buyer", lines: [{ sku: "KIT", quantity: 1 }] });
    expect(await heldUnits(getDb(), shop.shopId)).toEqual(new Map([["TENT", 1], ["PEG", 4]]));
    expect(await availableOf(shop.shopId, ["KIT", "TENT", "PEG"])).toEqual({ KIT: 1, TENT: 2, PEG: 6 });

    // A peg buyer takes the bundle's last chance away: the bundle follows.
    await s.reservations.reserve(shop.shopId, { key: "peg-buyer", lines: [{ sku: "PEG", quantity: 3 }] });
    expect(await availableOf(shop.shopId, ["KIT", "PEG"])).toEqual({ KIT: 0, PEG: 3 });
    const error = await rejection(s.reservations.reserve(shop.shopId, { key: "kit-2", lines: [{ sku: "KIT", quantity: 1 }] }));
    expect(error.details).toEqual({ shortages: [{ sku: "KIT", requested: 1, available: 0 }] });

    // Releasing gives back exactly the components held, even after the bundle changed.
    await s.settings.setBundleComponents(shop.shopId, "KIT", [{ sku: "TENT", quantity: 2 }]);
    const [held] = await s.reservations.overview(shop.shopId).then((o) => o.activeHolds.filter((h) => h.key === "kit-buyer"));
    await s.reservations.release(shop.shopId, held!.id);
    expect(await heldUnits(getDb(), shop.shopId)).toEqual(new Map([["TENT", 0], ["PEG", 3]]));
    expect((await rejection(s.settings.setBundleComponents(shop.shopId, "KIT", [{ sku: "KIT", quantity: 1 }]))).status).toBe(400);
  });

  it("sells preorders from virtual stock up to the limit, never from physical stock", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "DROP", stock: [2, 0] }], clock.date());
    const promiseDate = new Date("2027-01-15T00:00:00.000Z");
    await s.settings.setVirtualStock(shop.shopId, "DROP", { kind: "preorder", limit: 3, promiseDate });
    const [item] = await s.availability.bySku(shop.shopId, ["DROP"]);
    expect(item).toMatchObject({ sku: "DROP", available: 3, stale: false, virtualStock: { kind: "preorder", promiseDate: promiseDate.toISOString() } });

    const { reservation } = await s.reservations.reserve(shop.shopId, { key: "fan-1", lines: [{ sku: "DROP", quantity: 2 }] });
    const holds = await getDb().sql.query<{ scope: string; reserved: number }>(`SELECT scope, reserved FROM stock_hold WHERE variant_id = $1`, [shop.variants.get("DROP")]);
    expect(holds).toEqual([{ scope: "virtual", reserved: 2 }]);
    await s.reservations.commit(shop.shopId, reservation.id, { orderExternalId: "pre-1" });
    expect(await availableOf(shop.shopId, ["DROP"])).toEqual({ DROP: 1 });
    const error = await rejection(s.reservations.reserve(shop.shopId, { key: "fan-2", lines: [{ sku: "DROP", quantity: 2 }] }));
    expect(error.details).toEqual({ shortages: [{ sku: "DROP", requested: 2, available: 1 }] });

    // Back to physical stock: the two units on the shelf were never touched.
    await s.settings.setVirtualStock(shop.shopId, "DROP", null);
    expect(await availableOf(shop.shopId, ["DROP"])).toEqual({ DROP: 2 });
  });

  it("reserves per location when the shop says so, and needs the location then", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [3, 1] }], clock.date());
    await s.settings.updatePolicy(shop.shopId, { availabilityMode: "per_location" });
    const [main, downtown] = shop.locations;
    expect(await availableOf(shop.shopId, ["A"], main)).toEqual({ A: 3 });
    expect(await availableOf(shop.shopId, ["A"], "gid://shopify/Location/2")).toEqual({ A: 1 });
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "k", lines: [{ sku: "A", quantity: 1 }] }))).code).toBe("location_required");
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "k", lines: [{ sku: "A", quantity: 1 }], locationId: "gid://shopify/Location/9" }))).status).toBe(404);

    await s.reservations.reserve(shop.shopId, { key: "pickup", lines: [{ sku: "A", quantity: 1 }], locationId: downtown });
    expect(await availableOf(shop.shopId, ["A"], downtown)).toEqual({ A: 0 });
    expect(await availableOf(shop.shopId, ["A"], main)).toEqual({ A: 3 });
    // Without a location, the shop-wide number counts every location's holds.
    expect(await availableOf(shop.shopId, ["A"])).toEqual({ A: 3 });
    const error = await rejection(s.reservations.reserve(shop.shopId, { key: "pickup-2", lines: [{ sku: "A", quantity: 1 }], locationId: downtown }));
    expect(error.details).toEqual({ shortages: [{ sku: "A", requested: 1, available: 0 }] });
  });

  it("falls back conservatively when the platform has not confirmed stock for too long", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [10, 0] }, { sku: "B", stock: [2, 0] }], clock.date());
    await s.settings.updatePolicy(shop.shopId, { staleAfterSeconds: 600, staleAction: "cap", staleCapQuantity: 1, lowStockThreshold: 3 });
    clock.advance(601_000);
    await s.availability.invalidate(shop.shopId, null);
    expect((await s.availability.bySku(shop.shopId, ["A", "B"])).map((i) => [i.sku, i.available, i.stale])).toEqual([["A", 1, true], ["B", 1, true]]);
    // Reservations are checked against the same conservative number.
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "k", lines: [{ sku: "A", quantity: 2 }] }))).details).toEqual({ shortages: [{ sku: "A", requested: 2, available: 1 }] });

    await s.settings.updatePolicy(shop.shopId, { staleAction: "hide_low_stock" });
    expect(await availableOf(shop.shopId, ["A", "B"])).toEqual({ A: 10, B: 0 });
    await s.settings.updatePolicy(shop.shopId, { staleAction: "block" });
    expect(await availableOf(shop.shopId, ["A", "B"])).toEqual({ A: 0, B: 0 });

    // A fresh report from the platform ends the fallback for that item.
    await setLevel(getDb(), shop.variants.get("A")!, shop.locations[0]!, { onHand: 10 }, clock.date());
    await setLevel(getDb(), shop.variants.get("A")!, shop.locations[1]!, { onHand: 0 }, clock.date());
    await s.availability.invalidate(shop.shopId, ["A"]);
    expect((await s.availability.bySku(shop.shopId, ["A"]))[0]).toMatchObject({ available: 10, stale: false });
  });

  it("lets a merchant oversell up to the threshold, and not one unit more", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [1, 0] }], clock.date());
    await s.settings.updatePolicy(shop.shopId, { oversellThreshold: 2 });
    await s.reservations.reserve(shop.shopId, { key: "a", lines: [{ sku: "A", quantity: 3 }] });
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "b", lines: [{ sku: "A", quantity: 1 }] }))).status).toBe(409);
    expect((await rejection(s.settings.updatePolicy(shop.shopId, { cacheTtlSeconds: 31 }))).code).toBe("invalid_setting");
    expect((await rejection(s.settings.setSafetyStock(shop.shopId, "A", -1))).code).toBe("invalid_setting");
  });

  it("keeps an answer for the shop's cache TTL at most, and drops it at once on a change it knows of", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }], clock.date());
    await s.settings.updatePolicy(shop.shopId, { cacheTtlSeconds: 5 });
    expect(await availableOf(shop.shopId, ["A"])).toEqual({ A: 5 });
    // A change nobody told the cache about is seen once the TTL is over, not before.
    await setLevel(getDb(), shop.variants.get("A")!, shop.locations[0]!, { onHand: 4 }, clock.date());
    clock.advance(4_999);
    expect(await availableOf(shop.shopId, ["A"])).toEqual({ A: 5 });
    clock.advance(1);
    expect(await availableOf(shop.shopId, ["A"])).toEqual({ A: 4 });
    // A reservation invalidates at once.
    await s.reservations.reserve(shop.shopId, { key: "k", lines: [{ sku: "A", quantity: 1 }] });
    expect(await availableOf(shop.shopId, ["A"])).toEqual({ A: 3 });
  });
});

