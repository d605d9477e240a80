import type { Database } from "../db/database.server";
import { erpHttpAdapter } from "../destinations/erpHttp.server";
import { ensureDemoDestination } from "./demoDestination.server";

export const DEMO_ERP_DESTINATION = "Simulated ERP";

/**
 * The demo shop's delayed half: the simulated ERP as a live destination receiving catalog,
 * prices and stock every minute (its runs and signed manifests: `npm run destinations -- runs <id>`
 * and the log). The simulator's port and secret change per start, so an existing destination follows them.
 */
export async function ensureDemoErpDestination(db: Database, options: { shopId: string; encryptionKey: string; erpUrl: string; signingSecret: string }): Promise<string> {
  return ensureDemoDestination(db, {
    shopId: options.shopId,
    encryptionKey: options.encryptionKey,
    name: DEMO_ERP_DESTINATION,
    adapter: (registry) => erpHttpAdapter({ registry }),
    perStart: { endpoint: options.erpUrl, signingSecret: options.signingSecret },
    settings: {
      kind: "erp_http",
      receives: ["catalog", "price", "stock"],
      cadence: "* * * * *",
      mode: "live",
      limits: { requestsPerSecond: 5, concurrency: 2, batchSize: 100 },
    },
  });
}
