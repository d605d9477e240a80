import { describe, expect, it } from "vitest";
import { type SimulatedChange } from "../../simulators/changes";
import { startDemoSimulators } from "../../simulators/demo";

describe("the demo's simulators", () => {
  it("start together, seed the demo shop with the given ids and report every change in one feed", async () => {
    const simulators = await startDemoSimulators({
      shopify: {
        domain: "demo-shop.myshopify.com",
        accessToken: "shpat_demo",
        catalog: {
          locations: [
            { id: 9001, name: "Main warehouse" },
            { id: 9002, name: "Downtown store" },
          ],
          products: [{ id: 7001, title: "Summit 40L Backpack", variants: [{ id: 8001, inventoryItemId: 18001, sku: "PACK-40-GRN", title: "Green", price: "149.00", available: [12, 3] }] }],
        },
      },
    });
    try {
      const shop = simulators.shopify.shop("demo-shop.myshopify.com");
      expect(shop.level(18001, 9001)!.quantities.available).toBe(12);
      expect(shop.level(18001, 9002)!.quantities.available).toBe(3);
      expect(simulators.env.SHOPIFY_ADMIN_API_BASE_URL).toBe(simulators.shopify.url);

      const changes: SimulatedChange[] = [];
      const stop = simulators.onChange((change) => changes.push(change));
      shop.placeOrder([{ sku: "PACK-40-GRN", quantity: 1, locationId: 9001 }]);
      const store = simulators.bigcommerce.store("demo-store");
      store.placeOrder({ lines: [{ variantId: [...store.variants.keys()][0]!, quantity: 1 }] });
      await fetch(`${simulators.erp.url}/api/inventory`, { method: "POST", body: JSON.stringify({ sku: "PACK-40-GRN", available: 11 }) });
      stop();
      expect(changes.map((change) => change.kind)).toEqual([
        "orders/create",
        "inventory_levels/update",
        "store/order/created",
        "store/sku/inventory/order/updated",
        "erp/received",
      ]);
      expect(changes[1]!.payload).toMatchObject({ inventory_item_id: 18001, location_id: 9001, available: 11 });
    } finally {
      await simulators.close();
    }
  });
});

describe("every simulator folder exposes start({port: 0})", () => {
  it("starts and closes each one", async () => {
    const folders = await Promise.all([
      import("../../simulators/shopify/index"),
      import("../../simulators/bigcommerce/index"),
      import("../../simulators/erp/index"),
      import("../../simulators/marketplace/index"),
    ]);
    for (const folder of folders) {
      const sim = await folder.start({ port: 0 });
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(typeof sim.onChange).toBe("function");
      await sim.close();
    }
  });
});
