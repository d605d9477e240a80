import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import type { Config } from "./config/config.server";
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
    sessionStorage: new PrismaSessionStorage(prisma),
    distribution: AppDistribution.AppStore,
    future: { unstable_newEmbeddedAuthStrategy: true, expiringOfflineAccessTokens: true },
    hooks: {
      afterAuth: async ({ session }) => {
        await installShop(prisma, { platform: "shopify", domain: session.shop, scopes: session.scope });
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
