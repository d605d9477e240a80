import { adapterRegistry } from "../batching/adapters";
import { createDestination, listDestinations, requestRun } from "../batching/destinations.server";
import { runDueDestination } from "../batching/runs.server";
import type { Database } from "../db/database.server";
import { googleFeedAdapter } from "../feeds/google/adapter.server";
import { issueFeedToken, revokeFeedToken } from "../feeds/google/tokens.server";
import { DEMO_BRAND, DEMO_STOREFRONT_URL } from "./seed.server";

export const DEMO_GOOGLE_FEED = "Google Merchant feed";

/**
 * The demo shop's Google feed: a pulled destination rebuilt every 5 minutes, whose first snapshot
 * of this start is built here, by a run like any other, before the demo listens: the URLs it prints
 * open a feed at once (the pipeline's runs go one after another, and the Amazon flow's would come
 * first). Tokens are kept hashed only, so every start revokes the earlier ones and issues a fresh
 * token for the URLs it prints.
 */
export async function ensureDemoGoogleFeed(db: Database, options: { shopId: string; encryptionKey: string }): Promise<{ feedId: string; token: string }> {
  const deps = { sql: db.sql, encryptionKey: options.encryptionKey, adapters: adapterRegistry([googleFeedAdapter({ sql: db.sql })]) };
  const existing = (await listDestinations(db.sql, options.shopId)).find((destination) => destination.name === DEMO_GOOGLE_FEED);
  const feedId =
    existing?.id ??
    (
      await createDestination(deps, options.shopId, {
        name: DEMO_GOOGLE_FEED,
        kind: "google_feed",
        endpoint: DEMO_STOREFRONT_URL,
        receives: ["catalog"],
        cadence: "*/5 * * * *",
        mode: "live",
        options: { storeUrl: DEMO_STOREFRONT_URL, currency: "USD", defaultBrand: DEMO_BRAND, title: "Lockstep Demo Outfitters" },
        limits: { requestsPerSecond: 10, concurrency: 1, batchSize: 100 },
      })
    ).id;
  await revokeFeedToken(db.sql, feedId, undefined, new Date());
  const token = await issueFeedToken(db.sql, feedId);
  await requestRun(db.sql, options.shopId, feedId, "sync_now");
  await runDueDestination({ ...deps, owner: "demo-start" }, feedId);
  return { feedId, token };
}
