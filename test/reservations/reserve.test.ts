import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, setLevel, type StockServices, stockServices } from "./stockFixture";
import { manualClock } from "../helpers/clock";
import { rejection } from "../helpers/expectations";

const getDb = useTestDatabase();

describe("reserve", () => {
  let clock: ReturnType<typeof manualClock>;
  let s: StockServices;
  beforeEach(() => {
    clock = manualClock();
    s = stockServices(getDb(), clock);
  });

  it("holds all lines and lowers availability by exactly what it holds", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [3, 2] }, { sku: "B", stock: [1, 0] }], clock.date());
    const { reservation, created } = await s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "A", quantity: 4 }, { sku: "B", quantity: 1 }], ttlSeconds: 600 });
    expect(created).toBe(true);
    expect(reservation).toMatchObject({ key: "cart-1", status: "active", lines: [{ sku: "A", quantity: 4 }, { sku: "B", quantity: 1 }] });
    expect(reservation.expiresAt).toBe(new Date(clock.now() + 600_000).toISOString());
    const items = await s.availability.bySku(shop.shopId, ["A", "B"]);
    expect(items.map((i) => [i.sku, i.available])).toEqual([["A", 1], ["B", 0]]);
  });

  it("holds nothing when one line is short, and says which and how many are left", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [3, 0] }, { sku: "B", stock: [1, 0] }], clock.date());
    const error = await rejection(s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 2 }] }));
    expect(error.status).toBe(409);
    expect(error.code).toBe("insufficient_stock");
    expect(error.details).toEqual({ shortages: [{ sku: "B", requested: 2, available: 1 }] });
    expect(await heldUnits(getDb(), shop.shopId)).toEqual(new Map([["A", 0], ["B", 0]]));
  });

  it("returns the same reservation for the same key, adjusted to the new lines, never blocked by its own hold", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [2, 0] }, { sku: "B", stock: [5, 0] }], clock.date());
    const first = await s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "A", quantity: 2 }] });
    const retry = await s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "A", quantity: 2 }] });
    expect(retry.reservation.id).toBe(first.reservation.id);
    expect(retry.created).toBe(false);
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(2);

    const adjusted = await s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 3 }] });
    expect(adjusted.reservation.id).toBe(first.reservation.id);
    expect(await heldUnits(getDb(), shop.shopId)).toEqual(new Map([["A", 1], ["B", 3]]));

    const other = await rejection(s.reservations.reserve(shop.shopId, { key: "cart-2", lines: [{ sku: "A", quantity: 2 }] }));
    expect(other.details).toEqual({ shortages: [{ sku: "A", requested: 2, available: 1 }] });
    // Growing one's own hold counts what one already holds.
    const grown = await s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 5 }] });
    expect(grown.reservation.lines).toEqual([{ sku: "A", quantity: 2 }, { sku: "B", quantity: 5 }]);
    const tooMuch = await rejection(s.reservations.reserve(shop.shopId, { key: "cart-1", lines: [{ sku: "B", quantity: 6 }] }));
    expect(tooMuch.details).toEqual({ shortages: [{ sku: "B", requested: 6, available: 5 }] });
    expect(await heldUnits(getDb(), shop.shopId)).toEqual(new Map([["A", 2], ["B", 5]]));
  });

  it("rejects bad input, unknown SKUs and unknown ids with the right status", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [2, 0] }], clock.date());
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "", lines: [{ sku: "A", quantity: 1 }] }))).status).toBe(400);
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "k", lines: [] }))).status).toBe(400);
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "k", lines: [{ sku: "A", quantity: 0 }] }))).status).toBe(400);
    expect((await rejection(s.reservations.reserve(shop.shopId, { key: "k", lines: [{ sku: "A", quantity: 1 }], ttlSeconds: 0 }))).code).toBe("invalid_ttl");
    const unknown = await rejection(s.reservations.reserve(shop.shopId, { key: "k", lines: [{ sku: "A", quantity: 1 }, { sku: "NOPE", quantity: 1 }] }));
    expect(unknown).toMatchObject({ status: 404, code: "unknown_sku", details: { skus: ["NOPE"] } });
    expect((await rejection(s.reservations.get(shop.shopId, "not-a-uuid"))).status).toBe(404);
    expect((await rejection(s.reservations.get(shop.shopId, "00000000-0000-4000-8000-000000000000"))).status).toBe(404);
    expect(await heldUnits(getDb(), shop.shopId)).toEqual(new Map());
  });

  it("keeps committed and safety stock out of what can be sold, and never shows less than zero", async () => {
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [5, 1], committed: [2, 3] }], clock.date());
    // (5 - 2) + (1 - 3) = 1: a location that owes units lowers the pooled number.
    expect((await s.availability.bySku(shop.shopId, ["A"]))[0]!.available).toBe(1);
    await s.settings.setSafetyStock(shop.shopId, "A", 4);
    expect((await s.availability.bySku(shop.shopId, ["A"]))[0]!.available).toBe(0);
    await setLevel(getDb(), shop.variants.get("A")!, shop.locations[0]!, { onHand: 20 }, clock.date());
    await s.availability.invalidate(shop.shopId, ["A"]);
    // (20 - 2) + (1 - 3) - 4 = 12
    expect((await s.availability.bySku(shop.shopId, ["A"]))[0]!.available).toBe(12);
  });
});
