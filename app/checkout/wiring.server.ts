import type { Availability } from "../availability/availability.server";
import type { Config } from "../config/config.server";
import type { Database } from "../db/database.server";
import { createInventorySettings } from "../inventory/settings.server";
import type { PlatformClients } from "../platforms/clients.server";
import { type AvailabilityMetafieldSync, createAvailabilityMetafieldSync } from "./availabilityMetafields.server";
import { type ClockRound, refreshAllCheckoutClocks } from "./checkoutClock.server";
import { shopifyAdminClientsByShopId } from "./shopifyAccess.server";
import { withAvailabilityMetafieldSync } from "./syncOnChange.server";
import { log } from "../observability/log.server";

type Log = (message: string, details: Record<string, unknown>) => void;

const defaultLog: Log = (message, details) => log.warn(message, details);

/** What the checkout sync needs of the process: its database, its sealing key and its Shopify clients. */
export interface CheckoutDeps {
  db: Database;
  config: Pick<Config, "encryptionKey">;
  platforms: Pick<PlatformClients, "shopifyAdminClientFor">;
}

function adminClients(deps: CheckoutDeps) {
  return shopifyAdminClientsByShopId({ sql: deps.db.sql, encryptionKey: deps.config.encryptionKey, clientFor: (shop, token) => deps.platforms.shopifyAdminClientFor(shop, token) });
}

/**
 * For `createStockServices({ wrapAvailability })` (app/context.server.ts): every availability invalidation also
 * writes the changed SKUs' metafields for the checkout Function. `onSync` receives the sync
 * (e.g. to run `syncAllAvailabilityMetafields` after install).
 */
export function checkoutMetafieldSync(context: CheckoutDeps, options: { log?: Log; onSync?: (sync: AvailabilityMetafieldSync) => void } = {}) {
  const log = options.log ?? defaultLog;
  return (plain: Availability): Availability => {
    const settings = createInventorySettings({ db: context.db, availability: plain });
    const sync = createAvailabilityMetafieldSync({
      sql: context.db.sql,
      availability: plain,
      getPolicy: (shopId) => settings.getPolicy(shopId),
      adminClientFor: adminClients(context),
      onFailure: (shopId, failed) => log("checkout metafields not written", { shopId, failed }),
    });
    options.onSync?.(sync);
    return withAvailabilityMetafieldSync(plain, sync, (shopId, error) =>
      log("checkout metafield sync failed", { shopId, error: error instanceof Error ? error.message : String(error) }),
    );
  };
}

/** One heartbeat round for every installed Shopify shop: schedule it every minute in the background work. */
export function refreshCheckoutClocksFor(context: CheckoutDeps, now: Date, options: { enable?: boolean } = {}): Promise<ClockRound> {
  return refreshAllCheckoutClocks({ sql: context.db.sql, adminClientFor: adminClients(context), now, enable: options.enable });
}
