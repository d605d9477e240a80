import { afterEach, describe, expect, it } from "vitest";
import { subscribeToPlatformEvents } from "../../app/reservations/orderEvents.server";
import { startReservationSweeper } from "../../app/reservations/sweeper.server";
import { createApiTokenChanges } from "../../app/shops/shops.server";
import { createSubscribers, notifyApplied } from "../../app/webhooks/subscribers.server";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, setLevel, stockServices } from "./stockFixture";
import { manualClock } from "../helpers/clock";

const getDb = useTestDatabase();
// What a process holds in its context (app/context.server.ts): one list of subscribers, one record of token changes.
const subscribers = createSubscribers();
const apiTokens = createApiTokenChanges();

describe("platform events and the sweeper", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const report = (error: unknown) => {
    throw error;
  };

  it("commits a cart's hold when its order arrives and releases a cancelled order's hold", async () => {
    const clock = manualClock();
    const s = stockServices(getDb(), clock);
    cleanups.push(subscribeToPlatformEvents(subscribers, { db: getDb(), ...s, apiTokens }));
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }], clock.date());
    const bought = await s.reservations.reserve(shop.shopId, { key: "cart-token-1", lines: [{ sku: "A", quantity: 2 }] });
    const abandoned = await s.reservations.reserve(shop.shopId, { key: "checkout-2", lines: [{ sku: "A", quantity: 1 }] });

    const created = { type: "OrderCreated" as const, shopId: shop.shopId, occurredAt: clock.date(), orderExternalId: "o-1", cartToken: "cart-token-1", lineItems: [{ sku: "A", quantity: 2 }] };
    await notifyApplied(subscribers, [created, created], report);
    expect(await s.reservations.get(shop.shopId, bought.reservation.id)).toMatchObject({ status: "committed", orderId: "o-1" });

    await notifyApplied(subscribers, [{ type: "OrderCancelled", shopId: shop.shopId, occurredAt: clock.date(), orderExternalId: "o-2", checkoutToken: "checkout-2", lineItems: [] }], report);
    expect(await s.reservations.get(shop.shopId, abandoned.reservation.id)).toMatchObject({ status: "released", releaseReason: "order_cancelled" });
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(0);
  });

  it("drops the cached availability of an item (and its bundles) when the platform reports its stock", async () => {
    const clock = manualClock();
    const s = stockServices(getDb(), clock);
    cleanups.push(subscribeToPlatformEvents(subscribers, { db: getDb(), ...s, apiTokens }));
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }, { sku: "PACK", stock: [0, 0] }], clock.date());
    await s.settings.setBundleComponents(shop.shopId, "PACK", [{ sku: "A", quantity: 2 }]);
    expect((await s.availability.bySku(shop.shopId, ["A", "PACK"])).map((i) => i.available)).toEqual([5, 2]);
    await setLevel(getDb(), shop.variants.get("A")!, shop.locations[0]!, { onHand: 1 }, clock.date());
    // Until the event, the cache still answers the old numbers...
    expect((await s.availability.bySku(shop.shopId, ["A", "PACK"])).map((i) => i.available)).toEqual([5, 2]);
    await notifyApplied(subscribers, [{ type: "InventoryLevelChanged", shopId: shop.shopId, occurredAt: clock.date(), inventoryItemExternalId: "gid://shopify/InventoryItem/1", locationExternalId: "gid://shopify/Location/1", available: 1 }], report);
    // ...and right after it, the new ones.
    expect((await s.availability.bySku(shop.shopId, ["A", "PACK"])).map((i) => i.available)).toEqual([1, 0]);
  });

  it("drops a batch's changed items in one invalidation per shop, with every SKU they move", async () => {
    const clock = manualClock();
    const s = stockServices(getDb(), clock);
    const invalidations: { shopId: string; skus: string[] | null }[] = [];
    const invalidate = s.availability.invalidate.bind(s.availability);
    const availability = { ...s.availability, invalidate: (shopId: string, skus: string[] | null) => (invalidations.push({ shopId, skus: skus && [...skus].sort() }), invalidate(shopId, skus)) };
    cleanups.push(subscribeToPlatformEvents(subscribers, { db: getDb(), ...s, availability, apiTokens }));
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }, { sku: "B", stock: [3, 0] }, { sku: "PACK", stock: [0, 0] }], clock.date());
    await s.settings.setBundleComponents(shop.shopId, "PACK", [{ sku: "A", quantity: 2 }]);
    expect((await s.availability.bySku(shop.shopId, ["A", "B", "PACK"])).map((i) => i.available)).toEqual([5, 3, 2]);
    await setLevel(getDb(), shop.variants.get("A")!, shop.locations[0]!, { onHand: 1 }, clock.date());
    await setLevel(getDb(), shop.variants.get("B")!, shop.locations[0]!, { onHand: 0 }, clock.date());
    const change = (item: number) => ({ type: "InventoryLevelChanged" as const, shopId: shop.shopId, occurredAt: clock.date(), inventoryItemExternalId: `gid://shopify/InventoryItem/${item}`, locationExternalId: "gid://shopify/Location/1", available: 0 });
    await notifyApplied(subscribers, [change(1), change(2), change(1)], report);
    expect(invalidations).toEqual([{ shopId: shop.shopId, skus: ["A", "B", "PACK"] }]);
    expect((await s.availability.bySku(shop.shopId, ["A", "B", "PACK"])).map((i) => i.available)).toEqual([1, 0, 0]);
  });

  it("runs the sweeper in the background until it is stopped", async () => {
    const clock = manualClock();
    const s = stockServices(getDb(), clock);
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }], clock.date());
    const { reservation } = await s.reservations.reserve(shop.shopId, { key: "cart", lines: [{ sku: "A", quantity: 3 }], ttlSeconds: 60 });
    clock.advance(61_000);
    const errors: unknown[] = [];
    const stop = startReservationSweeper(s.reservations, { intervalMs: 5, log: (_message, error) => errors.push(error) });
    cleanups.push(stop);
    let status = "";
    for (let round = 0; round < 400 && status !== "expired"; round++) {
      status = (await getDb().sql.query<{ status: string }>(`SELECT status FROM reservation WHERE id = $1`, [reservation.id]))[0]!.status;
      if (status !== "expired") await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(status).toBe("expired");
    await stop();
    expect(errors).toEqual([]);
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(0);
  });

  it("reports a failed sweep and keeps going", async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const failing = { sweep: async () => { calls++; throw new Error("database away"); } } as unknown as Parameters<typeof startReservationSweeper>[0];
    const stop = startReservationSweeper(failing, { intervalMs: 1, log: (_message, error) => errors.push(error) });
    for (let round = 0; round < 400 && calls < 2; round++) await new Promise((resolve) => setTimeout(resolve, 2));
    await stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect((errors[0] as Error).message).toBe("database away");
  });
});
