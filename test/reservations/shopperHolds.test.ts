import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../app/inventory/policy";
import { createShopperHolds, orderHoldKeys } from "../../app/reservations/shopperHolds.server";
import { useTestDatabase } from "../helpers/database";
import { seedStockShop, stockServices } from "./stockFixture";
import { manualClock } from "../helpers/clock";

// Holds placed through the app proxy (the HTTP side is in test/http/appProxyHolds.test.ts): what a
// refusal reveals, and orders committing them.
const getDb = useTestDatabase();

describe("shopper holds", () => {
  it("say how many are left in a refusal only when few are (exactly at or below the shop's threshold)", async () => {
    const clock = manualClock();
    const s = stockServices(getDb(), clock);
    const shop = await seedStockShop(getDb(), [{ sku: "SOME", stock: [4, 0] }, { sku: "FEW", stock: [1, 0] }, { sku: "NONE", stock: [0, 0] }], clock.date());
    // Availability as a stale cache might still show it: plenty, so no cap stops the request first.
    const holds = createShopperHolds({
      reservations: s.reservations,
      availability: { bySku: async (_shopId, skus) => skus.map((sku) => ({ sku, available: 1000, updatedAt: null, stale: false })) },
      getPolicy: async () => ({ ...DEFAULT_POLICY, proxyExactStockUpTo: 3 }),
    });
    const refusal = await holds
      .reserve(shop.shopId, { kind: "cart", cartToken: "cart-1" }, { key: "cart-1", lines: [{ sku: "SOME", quantity: 5 }, { sku: "FEW", quantity: 2 }, { sku: "NONE", quantity: 1 }] })
      .catch((error: unknown) => error);
    expect(refusal).toMatchObject({
      code: "insufficient_stock",
      status: 409,
      details: { shortages: [{ sku: "SOME", requested: 5 }, { sku: "FEW", requested: 2, available: 1 }, { sku: "NONE", requested: 1, available: 0 }] },
    });
    expect((refusal as { details: { shortages: object[] } }).details.shortages[0]).not.toHaveProperty("available");
  });

  it("are committed by the order of their cart, anonymous or signed in", async () => {
    const clock = manualClock();
    const s = stockServices(getDb(), clock);
    const shop = await seedStockShop(getDb(), [{ sku: "A", stock: [10, 0] }], clock.date());
    const holds = createShopperHolds({ reservations: s.reservations, availability: s.availability, getPolicy: s.settings.getPolicy });
    const anonymous = await holds.reserve(shop.shopId, { kind: "cart", cartToken: "tok-1" }, { key: "tok-1", lines: [{ sku: "A", quantity: 1 }] });
    const customer = await holds.reserve(shop.shopId, { kind: "customer", customerId: "42" }, { key: "tok-2", lines: [{ sku: "A", quantity: 1 }] });
    const first = await s.reservations.commitForOrder(shop.shopId, { orderExternalId: "o-1", orderedAt: clock.date(), keys: orderHoldKeys({ cartToken: "tok-1" }) });
    expect(first.map((r) => r.id)).toEqual([anonymous.reservation.id]);
    const second = await s.reservations.commitForOrder(shop.shopId, {
      orderExternalId: "o-2",
      orderedAt: clock.date(),
      keys: orderHoldKeys({ cartToken: "tok-2", customerExternalId: "gid://shopify/Customer/42" }),
    });
    expect(second.map((r) => [r.id, r.status])).toEqual([[customer.reservation.id, "committed"]]);
  });
});
