import { LockstepError } from "../config/errors";
import type { Config } from "../config/config.server";
import type { SqlRunner } from "../db/database.server";
import type { PrismaClient } from "../generated/prisma/client";
import { openCredential } from "./credentials.server";
import { bigCommerceShopDomain } from "./platformIdentity";
import { openSessionToken } from "./sessionStorage.server";
import { readOfflineToken } from "./sql/readOfflineToken";
import { readShopifyAccess } from "./sql/readShopifyAccess";

// A shop's credentials for its platform's API, opened: every reader of a stored token comes here.

/** The access token of the Shopify shop's offline session; undefined when it has none. */
export async function shopifyOfflineToken(sql: SqlRunner, encryptionKey: string, shopDomain: string): Promise<string | undefined> {
  const sealed = await readOfflineToken(sql, shopDomain);
  return sealed === undefined ? undefined : openSessionToken(encryptionKey, sealed);
}

/** An installed Shopify shop's domain and offline token; undefined for a BigCommerce store, an uninstalled shop, or one without an offline session. */
export async function installedShopifyAccess(sql: SqlRunner, encryptionKey: string, shopId: string): Promise<{ shopDomain: string; accessToken: string } | undefined> {
  const row = await readShopifyAccess(sql, shopId);
  return row ? { shopDomain: row.shopDomain, accessToken: openSessionToken(encryptionKey, row.sealedToken) } : undefined;
}

/** The access token of an installed BigCommerce store, for its API clients (webhook read-back, backfill). */
export function bigCommerceTokenOf(deps: { prisma: PrismaClient; config: Pick<Config, "encryptionKey"> }): (storeHash: string) => Promise<string> {
  return async (storeHash) => {
    const shop = await deps.prisma.shop.findUnique({ where: { platform_domain: { platform: "bigcommerce", domain: bigCommerceShopDomain(storeHash) } } });
    if (!shop?.accessTokenSealed) throw new LockstepError("no_access_token", `No access token for BigCommerce store ${storeHash}: reinstall the app`);
    return openCredential(deps.config.encryptionKey, shop.accessTokenSealed);
  };
}
