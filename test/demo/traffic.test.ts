import { describe, expect, it } from "vitest";
import { DEMO_LOCATIONS, DEMO_PRODUCTS, DEMO_SHOP_DOMAIN, seedDemoShop } from "../../app/demo/seed.server";
import { commitReflected } from "../../app/inventory/sql/committedHolds";
import { HOT_SKUS, moveStock, startDemoStore, startDemoTraffic } from "../../app/demo/traffic.server";
import type { FlashSaleResult } from "../../app/reservations/flashSale";
import { getInboxLag } from "../../app/observability/sql/getInboxLag";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";
import { until } from "../helpers/expectations";

const API_TOKEN = "lst_test_token_0123456789abcdef";

const server = useTestServer({
  build: false,
  background: true,
  beforeListen: async ({ db }) => {
    await seedDemoShop(db.prisma, { apiToken: API_TOKEN });
  },
});

describe("the demo's simulated traffic", () => {
  it("races shoppers without overselling, and the store's webhooks leave Lockstep's stock equal to the store's", async () => {
    let sale: FlashSaleResult | undefined;
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const simulator = await startDemoStore();
    const traffic = startDemoTraffic({
      simulator,
      baseUrl: server().url,
      webhookSecret: STANDALONE_ENV.SHOPIFY_API_SECRET,
      apiToken: API_TOKEN,
      storeActivityEveryMs: 3_600_000,
      firstFlashSaleAfterMs: 1,
      flashSaleEveryMs: 3_600_000,
      random,
      onFlashSale: (result) => {
        sale = result;
      },
    });
    try {
      await until(async () => sale !== undefined, { what: "the flash sale", interval: 50 });
      expect(sale!.held + sale!.refused).toBe(40);
      expect(sale!.refused).toBeGreaterThan(0);
      const stock = new Map(DEMO_PRODUCTS.flatMap((p) => p.variants.map((v) => [v.sku, v.stock[0]! + v.stock[1]!] as const)));
      for (const sku of HOT_SKUS) expect(sale!.unitsHeld[sku]).toBeLessThanOrEqual(stock.get(sku)!);

      const shop = simulator.shop(DEMO_SHOP_DOMAIN);
      for (let i = 0; i < 40; i += 1) moveStock(shop, random);
    } finally {
      await traffic.stop();
      await simulator.close();
    }

    const { db } = server().context;
    await until(async () => (await getInboxLag(db.sql)).unprocessed === 0, { what: "the inbox to drain", interval: 50 });
    const rows = await db.sql.query<{ item: string; location: string; on_hand: number; committed: number }>(
      `SELECT v.inventory_item_external_id AS item, l.external_id AS location, il.on_hand, il.committed
         FROM inventory_level il JOIN variant v ON v.id = il.variant_id JOIN location l ON l.id = il.location_id`,
    );
    const shop = simulator.shop(DEMO_SHOP_DOMAIN);
    let compared = 0;
    for (const row of rows) {
      const item = Number(row.item.split("/").pop());
      const location = Number(row.location.split("/").pop());
      expect(DEMO_LOCATIONS.map((l) => l.id)).toContain(location);
      expect({ item, location, available: row.on_hand - row.committed }).toEqual({ item, location, available: shop.level(item, location)!.quantities.available });
      compared += 1;
    }
    expect(compared).toBe(28);

    // Every order the sale placed is now in the store's numbers, so none of its holds counts any more.
    // (The sweeper may already have forgotten them: that is the same outcome.)
    const [holds] = await db.sql.query<{ committed: number; unreflected: number }>(
      `SELECT (SELECT count(*)::int FROM reservation WHERE status = 'committed') AS committed,
              (SELECT count(*)::int FROM stock_hold h CROSS JOIN LATERAL jsonb_array_elements(h.pending) e
                WHERE NOT ${commitReflected("h.variant_id", "e")}) AS unreflected`,
    );
    expect(holds!.committed).toBeGreaterThan(0);
    expect(holds!.unreflected).toBe(0);
  }, 120_000);
});
