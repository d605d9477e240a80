import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import type { Config } from "./config/config.server";
import { getBackfill, startBackfill } from "./backfill/backfill.server";
import { LockstepError } from "./config/errors";
import { appContext } from "./context.server";
import type { PrismaClient } from "./generated/prisma/client";
import { PrismaSessionStorage } from "./shops/sessionStorage.server";
import { installShop } from "./shops/shops.server";

export type ShopifyApp = ReturnType<typeof createShopifyApp>;

/** The Shopify app in embedded mode: OAuth / token exchange, session tokens, App Bridge. */
export function createShopifyApp(config: Config, prisma: PrismaClient) {
  if (!config.shopifyApp) throw new Error("Shopify credentials are not configured: this process runs in standalone mode");
  return shopifyApp({
    apiKey: config.shopifyApp.apiKey,
    apiSecretKey: config.shopifyApiSecret,
    apiVersion: ApiVersion.October26,
    scopes: config.shopifyApp.scopes,
    appUrl: config.shopifyApp.appUrl,
    authPathPrefix: "/auth",
    sessionStorage: new PrismaSessionStorage(prisma, config.encryptionKey),
    distribution: AppDistribution.AppStore,
    future: { unstable_newEmbeddedAuthStrategy: true, expiringOfflineAccessTokens: true },
    hooks: {
      afterAuth: async ({ session }) => {
        const shop = await installShop(prisma, { platform: "shopify", domain: session.shop, scopes: session.scope });
        // A new install reads the whole catalog and stock once; afterAuth also runs on later logins.
        const last = await getBackfill(appContext().db.sql, shop.id);
        if (!last || last.state === "failed") {
          await startBackfill(appContext(), shop.id).catch((error: unknown) => {
            if (!(error instanceof LockstepError && error.code === "backfill_running")) throw error;
          });
        }
      },
    },
  });
}

const slot = globalThis as { __lockstepShopify?: { config: Config; app: ShopifyApp } };

/** The process's Shopify app, made once from the running configuration. */
export function shopify(): ShopifyApp {
  const { config, db } = appContext();
  if (slot.__lockstepShopify?.config !== config) slot.__lockstepShopify = { config, app: createShopifyApp(config, db.prisma) };
  return slot.__lockstepShopify.app;
}
