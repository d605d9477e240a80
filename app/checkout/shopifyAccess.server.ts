import type { SqlRunner } from "../db/database.server";
import type { ShopifyAdminClient } from "../platforms/shopify/adminClient";
import { openSessionToken } from "../shops/sessionStorage.server";

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
    const [row] = await deps.sql.query<{ domain: string; access_token: string }>(
      `SELECT s.domain, se.access_token FROM shop s JOIN session se ON se.id = 'offline_' || s.domain AND se.access_token <> ''
       WHERE s.id = $1::uuid AND s.platform = 'shopify' AND s.install_state = 'installed'`,
      [shopId],
    );
    return row ? deps.clientFor(row.domain, openSessionToken(deps.encryptionKey, row.access_token)) : undefined;
  };
}
