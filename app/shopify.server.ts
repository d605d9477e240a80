import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import { getBackfill, startBackfill } from "./backfill/backfill.server";
import { LockstepError } from "./config/errors";
import type { AppContext } from "./context.server";
import { PrismaSessionStorage } from "./shops/sessionStorage.server";
import { installShop } from "./shops/shops.server";

export type ShopifyApp = ReturnType<typeof createShopifyApp>;

/** The Shopify app in embedded mode: OAuth / token exchange, session tokens, App Bridge. Made once per process (app/http/remixAdapter.server.ts). */
export function createShopifyApp(context: AppContext) {
  const { config } = context;
  const prisma = context.db.prisma;
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
        const last = await getBackfill(context.db.sql, shop.id);
        if (!last || last.state === "failed") {
          await startBackfill(context, shop.id).catch((error: unknown) => {
            if (!(error instanceof LockstepError && error.code === "backfill_running")) throw error;
          });
        }
      },
    },
  });
}

/** The process's Shopify app, from the admin's load context: only the embedded mode has one. */
export function shopify(context: { shopify?: ShopifyApp }): ShopifyApp {
  if (!context.shopify) throw new Error("Shopify credentials are not configured: this process runs in standalone mode");
  return context.shopify;
}
