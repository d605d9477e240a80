import { getBackfill, startBackfill } from "../backfill/backfill.server";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import type { Shop } from "../generated/prisma/client";
import { findShopByDomain, installShop } from "../shops/shops.server";
import { type AdminGraphql, subscribeMissingWebhooks } from "./webhookSubscriptions.server";
import { topicsTheTomlLacks } from "./webhookTopics";

export interface CompletedInstall {
  shop: Shop;
  /** Topics subscribed through the Admin API now (those the TOML lacks and the shop did not have yet). */
  subscribed: string[];
  backfillStarted: boolean;
}

/**
 * What follows Shopify's token exchange (afterAuth, also at later logins): the shop is installed —
 * or a re-install repairs it, keeping its row and settings — the topics the TOML does not declare
 * are subscribed where missing, and the catalog is read when it never was, the last reading failed,
 * or the shop comes back from an uninstall (its catalog may have changed meanwhile).
 */
export async function completeShopifyInstall(
  context: AppContext,
  session: { shop: string; scope?: string },
  graphql: AdminGraphql,
  options: { tomlTopics?: readonly string[] } = {},
): Promise<CompletedInstall> {
  const { db, config } = context;
  if (!config.shopifyApp) throw new LockstepError("not_embedded", "Shopify installs need SHOPIFY_API_KEY and SHOPIFY_APP_URL");
  const before = await findShopByDomain(db.prisma, "shopify", session.shop);
  const shop = await installShop(db.prisma, { platform: "shopify", domain: session.shop, scopes: session.scope });
  const subscribed = await subscribeMissingWebhooks(graphql, topicsTheTomlLacks(options.tomlTopics), `${config.shopifyApp.appUrl}/webhooks/shopify`);
  const last = await getBackfill(db.sql, shop.id);
  let backfillStarted = false;
  if (!last || last.state === "failed" || before?.installState === "uninstalled") {
    try {
      await startBackfill(context, shop.id);
      backfillStarted = true;
    } catch (error) {
      if (!(error instanceof LockstepError && error.code === "backfill_running")) throw error;
    }
  }
  return { shop, subscribed, backfillStarted };
}
