import type { SqlRunner } from "../db/database.server";
import type { ShopifyAdminClient } from "../platforms/shopify/adminClient.server";
import { installedShopifyAccess } from "../shops/platformAccess.server";

/**
 * `adminClientFor` of the metafield sync: the Admin client of an installed Shopify shop, made
 * with the token of its offline session (Shopify's id for it is `offline_{shop domain}`), or
 * undefined for a BigCommerce store, an uninstalled shop, or one without an offline session.
 * `clientFor` is e.g. `(shop, token) => shopifyAdminClientFor(config, shop, token)` from
 * app/platforms/clients.server.ts, so the sync spends the shop's one shared budget.
 */
export function shopifyAdminClientsByShopId(deps: {
  sql: SqlRunner;
  /** Opens the session's sealed token. */
  encryptionKey: string;
  clientFor: (shopDomain: string, accessToken: string) => ShopifyAdminClient;
}): (shopId: string) => Promise<ShopifyAdminClient | undefined> {
  return async (shopId) => {
    const access = await installedShopifyAccess(deps.sql, deps.encryptionKey, shopId);
    return access ? deps.clientFor(access.shopDomain, access.accessToken) : undefined;
  };
}
