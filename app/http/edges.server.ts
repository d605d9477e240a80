import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import type { Migration } from "../db/migrations.server";
import { registerFeedRoutes } from "../feeds/google/serve.server";
import { registerAppProxy } from "./appProxy.server";
import { registerMetricsRoute } from "../observability/metricsRoute.server";
import { registerBigCommerceCallbacks } from "./bigcommerceCallbacks.server";
import { registerBigCommerceInstall } from "./bigcommerceInstall.server";
import { registerHealthRoutes } from "./health.server";
import { Router } from "./router.server";
import { registerStorefrontApi, stockEdgeDeps } from "./storefrontApi.server";
import { registerPricesApi } from "./pricesApi.server";
import { createPriceLookup } from "../prices/lookup.server";
import { registerWebhookRoutes } from "./platformWebhooks.server";

/**
 * Every machine-to-machine edge of Lockstep, answered on node:http before the Remix admin:
 * health, platform webhooks, the storefront API, the app proxy and the marketplace feeds.
 */
export function createEdgeRouter(context: AppContext, migrations: Migration[]): Router {
  const router = new Router().own("/webhooks/", "/api/", "/proxy/", "/auth/bigcommerce/");
  registerHealthRoutes(router, context, migrations);
  registerMetricsRoute(router, context);
  const stock = stockEdgeDeps(context);
  registerStorefrontApi(router, stock);
  const prices = createPriceLookup({ sql: context.db.sql });
  registerPricesApi(router, { ...stock, prices });
  registerAppProxy(router, { ...stock, prices, shopperRatePerSecond: context.config.proxyShopperRateLimit });
  if (!context.config.bigCommerce.clientId) {
    // Registered before the callbacks, so it answers every one of them on a deployment with no BigCommerce app.
    router.on(["GET", "POST"], "/auth/bigcommerce/:callback", ({ req }) => {
      req.resume();
      throw new LockstepError("not_found", "This Lockstep serves no BigCommerce app");
    });
  }
  registerWebhookRoutes(router, context);
  registerBigCommerceInstall(router, context);
  registerBigCommerceCallbacks(router, context);
  registerFeedRoutes(router, { sql: context.db.sql, encryptionKey: context.config.encryptionKey, registry: context.outbound });
  return router;
}
