import { LockstepError } from "../config/errors";
import type { SqlRunner } from "../db/database.server";
import { bigCommerceShopDomain } from "../shops/platformIdentity";
import { findShopByDomainSql } from "../shops/sql/findShop";
import type { BigCommerceAppClaims } from "../webhooks/bigcommerce";
import type { Delivery } from "../webhooks/sql/storeDeliveries";

// BigCommerce's app callbacks, once their signed payload is verified (app/http/bigcommerceCallbacks.server.ts):
// `load` opens the admin for an installed store; `uninstall` becomes a webhook like any other.

/** The shop a `load` callback opens: its store must have installed Lockstep (and not uninstalled it). */
export async function storeToLoad(sql: SqlRunner, claims: BigCommerceAppClaims): Promise<{ shopId: string; userId: string }> {
  const shop = await findShopByDomainSql(sql, bigCommerceShopDomain(claims.storeHash), "bigcommerce");
  if (!shop?.installed) throw new LockstepError("unknown_shop", "This store has not installed Lockstep");
  return { shopId: shop.id, userId: claims.userId ?? "unknown" };
}

/**
 * The `uninstall` callback as an inbox delivery (`store/app/uninstalled`, the token's id as the
 * delivery id: a retried callback is a duplicate), so the workers process it durably like any webhook.
 */
export function uninstallDelivery(claims: BigCommerceAppClaims, receivedAt: Date): Delivery {
  const shopDomain = bigCommerceShopDomain(claims.storeHash);
  return {
    platform: "bigcommerce",
    shopDomain,
    topic: "store/app/uninstalled",
    deliveryId: `uninstall:${claims.jti}`,
    payload: JSON.stringify({ scope: "store/app/uninstalled", producer: shopDomain, created_at: Math.floor(claims.issuedAt.getTime() / 1000), data: {} }),
    triggeredAt: claims.issuedAt,
    receivedAt,
  };
}
