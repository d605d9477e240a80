import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, setLevel, type StockServices, stockServices } from "./stockFixture";
import { manualClock } from "../helpers/clock";
import { rejection } from "../helpers/expectations";

const getDb = useTestDatabase();

describe("a reservation's life: extend, release, expire, commit", () => {
  let clock: ReturnType<typeof manualClock>;
  let s: StockServices;
  beforeEach(() => {
    clock = manualClock();
    s = stockServices(getDb(), clock);
  });

  const available = async (shopId: string, sku: string) => (await s.availability.bySku(shopId, [sku]))[0]!.available;

  it("extends an active hold from now, and refuses to extend one that is gone", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [2, 0] }], clock.date());
    const { reservation } = await s.reservations.reserve(shop.shopId, { key: "cart", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: 60 });
    clock.advance(50_000);
    const extended = await s.reservations.extend(shop.shopId, reservation.id, 300);
    expect(extended.expiresAt).toBe(new Date(clock.now() + 300_000).toISOString());
    clock.advance(301_000);
    expect((await s.reservations.get(shop.shopId, reservation.id)).status).toBe("expired");
    const error = await rejection(s.reservations.extend(shop.shopId, reservation.id, 300));
    expect(error).toMatchObject({ status: 409, code: "reservation_not_active", details: { status: "expired" } });
    expect((await rejection(s.reservations.extend(shop.shopId, "00000000-0000-4000-8000-000000000000"))).status).toBe(404);
  });

  it("uses the shop's reservation TTL when none is asked for", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [2, 0] }], clock.date());
    await s.settings.updatePolicy(shop.shopId, { reservationTtlSeconds: 120 });
    const { reservation } = await s.reservations.reserve(shop.shopId, { key: "cart", lines: [{ sku: "A", quantity: 1 }] });
    expect(reservation.expiresAt).toBe(new Date(clock.now() + 120_000).toISOString());
  });

  it("gives units back on release (payment failed), once, and lets the key reserve again", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [2, 0] }], clock.date());
    const { reservation } = await s.reservations.reserve(shop.shopId, { key: "pi_123", lines: [{ sku: "A", quantity: 2 }] });
    expect(await available(shop.shopId, "A")).toBe(0);
    const released = await s.reservations.release(shop.shopId, reservation.id, "payment_failed");
    expect(released).toMatchObject({ status: "released", releaseReason: "payment_failed" });
    expect(await available(shop.shopId, "A")).toBe(2);
    const again = await s.reservations.release(shop.shopId, reservation.id, "payment_failed");
    expect(again.status).toBe("released");
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(0);
    const revived = await s.reservations.reserve(shop.shopId, { key: "pi_123", lines: [{ sku: "A", quantity: 1 }] });
    expect(revived.reservation).toMatchObject({ id: reservation.id, status: "active", releasedAt: null });
    expect(await available(shop.shopId, "A")).toBe(1);
  });

  it("sweeps expired holds back into stock, and only those", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }], clock.date());
    const short = await s.reservations.reserve(shop.shopId, { key: "short", lines: [{ sku: "A", quantity: 2 }], ttlSeconds: 60 });
    await s.reservations.reserve(shop.shopId, { key: "long", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: 600 });
    expect(await available(shop.shopId, "A")).toBe(2);
    expect(await s.reservations.sweep()).toEqual({ expired: 0 });
    clock.advance(61_000);
    expect(await s.reservations.sweep()).toEqual({ expired: 1 });
    expect(await available(shop.shopId, "A")).toBe(4);
    expect(await s.reservations.get(shop.shopId, short.reservation.id)).toMatchObject({ status: "expired", releaseReason: "expired" });
    expect(await s.reservations.sweep()).toEqual({ expired: 0 });
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(1);
  });

  it("lets a shopper re-reserve over their own expired hold before the sweeper comes", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [1, 0] }], clock.date());
    const first = await s.reservations.reserve(shop.shopId, { key: "cart", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: 60 });
    clock.advance(120_000);
    const again = await s.reservations.reserve(shop.shopId, { key: "cart", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: 60 });
    expect(again.reservation).toMatchObject({ id: first.reservation.id, status: "active" });
    expect(await s.reservations.sweep()).toEqual({ expired: 0 });
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(1);
  });

  it("commits without a moment where the units count twice or not at all", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }], clock.date());
    const variant = shop.variants.get("A")!;
    const { reservation } = await s.reservations.reserve(shop.shopId, { key: "cart-9", lines: [{ sku: "A", quantity: 2 }] });
    expect(await available(shop.shopId, "A")).toBe(3);

    clock.advance(1_000);
    const orderedAt = clock.date();
    const [committed] = await s.reservations.commitForOrder(shop.shopId, { orderExternalId: "gid://shopify/Order/1", orderedAt, keys: ["cart-9"] });
    expect(committed).toMatchObject({ id: reservation.id, status: "committed", orderId: "gid://shopify/Order/1" });
    // The platform has not reported the order yet: the units still count, now as committed by us.
    expect(await available(shop.shopId, "A")).toBe(3);
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(0);

    // An unrelated, older level report (from before the order) changes nothing about that.
    await setLevel(getDb(), variant, shop.locations[1]!, { onHand: 0 }, new Date(orderedAt.getTime() - 500));
    await s.availability.invalidate(shop.shopId, ["A"]);
    expect(await available(shop.shopId, "A")).toBe(3);

    // The platform reports the order (committed 2, stamped after the order): counted once, by the platform.
    await setLevel(getDb(), variant, shop.locations[0]!, { committed: 2 }, new Date(orderedAt.getTime() + 200));
    await s.availability.invalidate(shop.shopId, ["A"]);
    expect(await available(shop.shopId, "A")).toBe(3);

    // Committing twice (a replayed webhook) changes nothing; the sweeper then forgets the reflected commit.
    await s.reservations.commitForOrder(shop.shopId, { orderExternalId: "gid://shopify/Order/1", orderedAt, keys: ["cart-9"] });
    await s.reservations.sweep();
    const pending = await getDb().sql.query<{ pending: unknown[] }>(`SELECT pending FROM stock_hold WHERE variant_id = $1`, [variant]);
    expect(pending[0]!.pending).toEqual([]);
    await s.availability.invalidate(shop.shopId, ["A"]);
    expect(await available(shop.shopId, "A")).toBe(3);
  });

  it("keeps counting a commit through a restock elsewhere, until a level of its item is lowered after the order", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "B", stock: [5, 3] }], clock.date());
    const variant = shop.variants.get("B")!;
    await s.reservations.reserve(shop.shopId, { key: "cart-restock", lines: [{ sku: "B", quantity: 2 }] });
    clock.advance(1_000);
    const orderedAt = clock.date();
    await s.reservations.commitForOrder(shop.shopId, { orderExternalId: "gid://shopify/Order/7", orderedAt, keys: ["cart-restock"] });
    expect(await available(shop.shopId, "B")).toBe(6);

    // The second location is restocked after the order, before the platform reports the order.
    await setLevel(getDb(), variant, shop.locations[1]!, { onHand: 10 }, new Date(orderedAt.getTime() + 100));
    await s.availability.invalidate(shop.shopId, ["B"]);
    expect(await available(shop.shopId, "B")).toBe(13);
    await s.reservations.sweep();
    expect((await s.reservations.overview(shop.shopId)).byItem).toMatchObject([{ sku: "B", committedPending: 2 }]);

    // The platform takes the order's units at the first location: now it counts them, and we stop.
    await setLevel(getDb(), variant, shop.locations[0]!, { committed: 2 }, new Date(orderedAt.getTime() + 200));
    await s.availability.invalidate(shop.shopId, ["B"]);
    expect(await available(shop.shopId, "B")).toBe(13);
    await s.reservations.sweep();
    const pending = await getDb().sql.query<{ pending: unknown[] }>(`SELECT pending FROM stock_hold WHERE variant_id = $1`, [variant]);
    expect(pending[0]!.pending).toEqual([]);
  });

  it("commits through the API once, refuses to commit a released hold, and keeps a committed key closed", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }], clock.date());
    const { reservation } = await s.reservations.reserve(shop.shopId, { key: "cart", lines: [{ sku: "A", quantity: 1 }] });
    const committed = await s.reservations.commit(shop.shopId, reservation.id, { orderExternalId: "order-1" });
    expect(committed.status).toBe("committed");
    expect((await s.reservations.commit(shop.shopId, reservation.id, { orderExternalId: "order-1" })).status).toBe("committed");
    const sameKey = await s.reservations.reserve(shop.shopId, { key: "cart", lines: [{ sku: "A", quantity: 3 }] });
    expect(sameKey.reservation).toMatchObject({ id: reservation.id, status: "committed", lines: [{ sku: "A", quantity: 1 }] });
    expect((await s.reservations.release(shop.shopId, reservation.id)).status).toBe("committed");

    const other = await s.reservations.reserve(shop.shopId, { key: "cart-2", lines: [{ sku: "A", quantity: 1 }] });
    await s.reservations.release(shop.shopId, other.reservation.id);
    const error = await rejection(s.reservations.commit(shop.shopId, other.reservation.id));
    expect(error).toMatchObject({ status: 409, code: "reservation_not_active" });
  });

  it("releases the hold of a cancelled order's cart", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }], clock.date());
    await s.reservations.reserve(shop.shopId, { key: "checkout-7", lines: [{ sku: "A", quantity: 3 }] });
    const released = await s.reservations.releaseForOrder(shop.shopId, { orderExternalId: "order-7", keys: ["checkout-7"] });
    expect(released.map((r) => [r.status, r.releaseReason])).toEqual([["released", "order_cancelled"]]);
    expect(await available(shop.shopId, "A")).toBe(5);
  });

  it("lists active holds and what they hold per item for the admin", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 0] }, { sku: "B", stock: [5, 0] }], clock.date());
    await s.reservations.reserve(shop.shopId, { key: "late", lines: [{ sku: "A", quantity: 2 }], ttlSeconds: 900 });
    await s.reservations.reserve(shop.shopId, { key: "soon", lines: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }], ttlSeconds: 60 });
    const overview = await s.reservations.overview(shop.shopId);
    expect(overview.activeHolds.map((h) => [h.key, h.units, h.expiresInSeconds])).toEqual([["soon", 2, 60], ["late", 2, 900]]);
    expect(overview.byItem.map((i) => [i.sku, i.reserved, i.nextExpiry])).toEqual([
      ["A", 3, new Date(clock.now() + 60_000).toISOString()],
      ["B", 1, new Date(clock.now() + 60_000).toISOString()],
    ]);
    expect(overview.totals).toEqual({ activeHolds: 2, unitsHeld: 4 });
  });
});
