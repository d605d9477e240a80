import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import type { AppContext } from "./context.server";
import { completeShopifyInstall } from "./onboarding/install.server";
import { PrismaSessionStorage } from "./shops/sessionStorage.server";

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
      afterAuth: async ({ session, admin }) => {
        try {
          await completeShopifyInstall(context, session, async (query, variables) => (await admin.graphql(query, { variables })).json() as Promise<{ data?: unknown }>);
        } catch (error) {
          // A Response is passed through by the library as it is (anything else becomes a bare 500).
          throw installPageResponse("install_incomplete", `Lockstep could not finish setting up ${session.shop}: ${error instanceof Error ? error.message : String(error)}`);
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

/** Why the embedded admin could not open: Shopify's token endpoint did not answer, or setting the shop up failed. */
export type InstallPageCode = "shopify_unreachable" | "install_incomplete";

/** The 503 the admin's error boundary shows as a retrying page (app/components/InstallProblem.tsx). */
export function installPageResponse(code: InstallPageCode, message: string): Response {
  return Response.json({ code, message }, { status: 503, headers: { "retry-after": "5", "cache-control": "no-store" } });
}

/**
 * `authenticate.admin`, except that a token exchange Shopify did not answer (the library throws a
 * bare 500, with no body) becomes the retrying page instead of "Handling response".
 */
export async function authenticateEmbeddedAdmin(request: Request, context: { shopify?: ShopifyApp }) {
  try {
    return await shopify(context).authenticate.admin(request);
  } catch (thrown) {
    if (thrown instanceof Response && thrown.status === 500 && thrown.body === null) {
      throw installPageResponse("shopify_unreachable", "Shopify did not answer when Lockstep asked for access to your store.");
    }
    throw thrown;
  }
}
