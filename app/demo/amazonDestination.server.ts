import { adapterRegistry } from "../batching/adapters";
import { createDestination, listDestinations, requestRun, updateDestination } from "../batching/destinations.server";
import type { Database } from "../db/database.server";
import { amazonListingsAdapter } from "../feeds/amazonListings.server";
import { createLimiterRegistry } from "../outbound/limiterRegistry.server";

export const DEMO_AMAZON_DESTINATION = "Simulated Amazon marketplace";
export const DEMO_AMAZON_SELLER = "A1LOCKSTEPDEMO";

/**
 * The demo shop's Amazon listings feed: prices and stock pushed to the simulated Selling Partner
 * API as JSON_LISTINGS_FEED documents every two minutes (Amazon takes about one listing feed per
 * two minutes). The simulator starts empty with every start, so each start asks for a full run:
 * the first feed goes out at the pipeline's first tick, seconds after start.
 */
export async function ensureDemoAmazonDestination(db: Database, options: { shopId: string; encryptionKey: string; endpoint: string; accessToken: string }): Promise<string> {
  // Only parseOptions is called here: no request leaves, the registry is closed at once.
  const registry = createLimiterRegistry();
  try {
    const deps = { sql: db.sql, encryptionKey: options.encryptionKey, adapters: adapterRegistry([amazonListingsAdapter({ registry })]) };
    const existing = (await listDestinations(db.sql, options.shopId)).find((destination) => destination.name === DEMO_AMAZON_DESTINATION);
    const id = existing
      ? (await updateDestination(deps, options.shopId, existing.id, { endpoint: options.endpoint, credentials: { accessToken: options.accessToken } })).id
      : (
          await createDestination(deps, options.shopId, {
            name: DEMO_AMAZON_DESTINATION,
            kind: "amazon_listings",
            endpoint: options.endpoint,
            credentials: { accessToken: options.accessToken },
            receives: ["price", "stock"],
            cadence: "*/2 * * * *",
            mode: "live",
            limits: { requestsPerSecond: 5, concurrency: 2, batchSize: 1_000 },
            // PRODUCT (Amazon's generic product type) fits every demo SKU; feeds are polled every 250 ms and
            // listings read back 1 s after a feed was processed (the simulator applies at once), so the
            // demo's first feeds and its Google feed (runs go one after another) are out within seconds.
            options: { sellerId: DEMO_AMAZON_SELLER, productType: { default: "PRODUCT", bySkuPrefix: {} }, pollIntervalMs: 250, confirmAfterMs: 1_000 },
          })
        ).id;
    await requestRun(db.sql, options.shopId, id, "full");
    return id;
  } finally {
    await registry.close();
  }
}
