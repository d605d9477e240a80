import { describe, expect, it } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { runFlashSale, type FlashSaleDriver } from "../../app/reservations/flashSale";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, stockServices } from "./stockFixture";
import { manualClock } from "../helpers/clock";

const getDb = useTestDatabase();

describe("the demo's flash sale", () => {
  it("races shoppers through the reservation engine without selling one unit too many", async () => {
    const clock = manualClock();
    const s = stockServices(getDb(), clock);
    const stock = { "LAMP-400": 4, "TENT-UL-2P": 5, "SHOE-TR-44": 2 };
    const shop = await seedStockShop(getDb(), Object.entries(stock).map(([sku, units]) => ({ sku, stock: [units, 0] })), clock.date());
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const driver: FlashSaleDriver = {
      async reserve(cart) {
        try {
          const { reservation } = await s.reservations.reserve(shop.shopId, cart);
          return { held: true, id: reservation.id };
        } catch (error) {
          if (error instanceof LockstepError && error.status === 409) return { held: false, shortages: error.details!.shortages as never };
          throw error;
        }
      },
      release: async (id) => void (await s.reservations.release(shop.shopId, id, "abandoned")),
      commit: async (id) => void (await s.reservations.commit(shop.shopId, id)),
    };
    const result = await runFlashSale({ driver, skus: Object.keys(stock), shoppers: 64, random, buyRate: 0.5 });
    expect(result.held + result.refused).toBe(64);
    expect(result.held).toBeGreaterThan(0);
    expect(result.refused).toBeGreaterThan(0);
    for (const [sku, units] of Object.entries(stock)) expect(result.unitsHeld[sku]).toBeLessThanOrEqual(units);
    expect(result.bought + result.abandoned).toBe(result.held);
    // Abandoned carts gave their units back; bought ones are committed, no longer held.
    for (const units of (await heldUnits(getDb(), shop.shopId)).values()) expect(units).toBe(0);
  });
});
