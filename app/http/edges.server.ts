import type { AppContext } from "../context.server";
import type { Migration } from "../db/migrations.server";
import { registerAppProxy } from "./appProxy.server";
import { registerMetricsRoute } from "../observability/metricsRoute.server";
import { registerBigCommerceInstall } from "./bigcommerceInstall.server";
import { registerHealthRoutes } from "./health.server";
import { Router } from "./router.server";
import { registerStorefrontApi, stockEdgeDeps } from "./storefrontApi.server";
import { registerWebhookRoutes } from "../webhooks/routes.server";

/**
 * Every machine-to-machine edge of Lockstep, answered on node:http before the Remix admin:
 * health, platform webhooks, the storefront API and the app proxy.
 */
export function createEdgeRouter(context: AppContext, migrations: Migration[]): Router {
  const router = new Router();
  registerHealthRoutes(router, context, migrations);
  registerMetricsRoute(router, context);
  const stock = stockEdgeDeps(context);
  registerStorefrontApi(router, stock);
  registerAppProxy(router, { ...stock, shopperRatePerSecond: context.config.proxyShopperRateLimit });
  registerWebhookRoutes(router, context);
  registerBigCommerceInstall(router, context);
  return router;
}
