import { adapterRegistry } from "../batching/adapters";
import { createDestination, listDestinations, updateDestination } from "../batching/destinations.server";
import type { Database } from "../db/database.server";
import { erpHttpAdapter } from "../destinations/erpHttp.server";
import { createLimiterRegistry } from "../outbound/limiterRegistry.server";

export const DEMO_ERP_DESTINATION = "Simulated ERP";

/**
 * The demo shop's delayed half: the simulated ERP as a live destination receiving catalog,
 * prices and stock every minute (its runs and signed manifests: `npm run destinations -- runs <id>`
 * and the log). The simulator's port and secret change per start, so an existing destination follows them.
 */
export async function ensureDemoErpDestination(db: Database, options: { shopId: string; encryptionKey: string; erpUrl: string; signingSecret: string }): Promise<string> {
  // Only parseOptions is called here: no request leaves, the registry is closed at once.
  const registry = createLimiterRegistry();
  try {
    const deps = { sql: db.sql, encryptionKey: options.encryptionKey, adapters: adapterRegistry([erpHttpAdapter({ registry })]) };
    const existing = (await listDestinations(db.sql, options.shopId)).find((destination) => destination.name === DEMO_ERP_DESTINATION);
    if (existing) return (await updateDestination(deps, options.shopId, existing.id, { endpoint: options.erpUrl, signingSecret: options.signingSecret })).id;
    const created = await createDestination(deps, options.shopId, {
      name: DEMO_ERP_DESTINATION,
      kind: "erp_http",
      endpoint: options.erpUrl,
      signingSecret: options.signingSecret,
      receives: ["catalog", "price", "stock"],
      cadence: "* * * * *",
      mode: "live",
      limits: { requestsPerSecond: 5, concurrency: 2, batchSize: 100 },
    });
    return created.id;
  } finally {
    await registry.close();
  }
}
