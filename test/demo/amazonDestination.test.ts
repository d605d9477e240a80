import { afterAll, beforeAll, expect, it } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { listDestinations } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import { DEMO_AMAZON_DESTINATION, DEMO_AMAZON_SELLER, ensureDemoAmazonDestination } from "../../app/demo/amazonDestination.server";
import { seedDemoShop } from "../../app/demo/seed.server";
import { amazonListingsAdapter } from "../../app/feeds/amazonListings.server";
import { sellableQuantities } from "../../app/feeds/amazonQuantities.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { type SellingPartnerSimulator, startSellingPartnerSimulator } from "../../simulators/marketplace/sellingPartner";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

const TOKEN = "Atza|demo-test";
let db: TestDatabase;
let amazon: SellingPartnerSimulator;
const registry = createLimiterRegistry();
beforeAll(async () => {
  db = await createTestDatabase();
  amazon = await startSellingPartnerSimulator({ sellerId: DEMO_AMAZON_SELLER, accessToken: TOKEN, processingDelayMs: 50 });
}, 180_000);
afterAll(async () => {
  await registry.close();
  await amazon.close();
  await db.close();
});

it("gives the demo shop a live Amazon destination whose first run (a full one, asked at start) pushes every SKU's price and stock", async () => {
  const { shop } = await seedDemoShop(db.prisma, { apiToken: "lst_demo_token_for_the_amazon_destination_test" });
  const id = await ensureDemoAmazonDestination(db, { shopId: shop.id, encryptionKey: "demo-key", endpoint: amazon.url, accessToken: TOKEN });
  // A restart points the same destination at the simulator's new port and asks for a full run again.
  expect(await ensureDemoAmazonDestination(db, { shopId: shop.id, encryptionKey: "demo-key", endpoint: amazon.url, accessToken: TOKEN })).toBe(id);
  const destination = (await listDestinations(db.sql, shop.id)).find((entry) => entry.name === DEMO_AMAZON_DESTINATION);
  expect(destination).toMatchObject({ kind: "amazon_listings", mode: "live", receives: ["price", "stock"], requestedRun: "full" });

  const adapter = amazonListingsAdapter({ registry, quantities: sellableQuantities(db.sql) });
  const outcome = await runDueDestination({ sql: db.sql, encryptionKey: "demo-key", adapters: adapterRegistry([adapter]), owner: "demo", now: () => new Date() }, id);
  expect(outcome).toMatchObject({ reason: "full", status: "succeeded", variance: 0 });
  const skus = (await db.sql.query<{ sku: string }>(`SELECT sku FROM variant WHERE shop_id = $1 ORDER BY sku`, [shop.id])).map((row) => row.sku);
  expect(amazon.feeds().map((feed) => [feed.processingStatus, feed.messages])).toEqual([
    ["DONE", skus.length],
    ["DONE", skus.length],
  ]);
  for (const sku of skus) {
    expect(amazon.listing(sku)?.attributes, sku).toMatchObject({ purchasable_offer: [expect.anything()], fulfillment_availability: [expect.anything()] });
  }
  expect(amazon.stats().tooManyRequests).toBe(0);
}, 180_000);
