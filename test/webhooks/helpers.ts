import http from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, type Config } from "../../app/config/config.server";
import { type AppContext, closeAppContext, createAppContext } from "../../app/context.server";
import type { Database } from "../../app/db/database.server";
import { Router } from "../../app/http/router.server";
import { registerBigCommerceCallbacks } from "../../app/http/bigcommerceCallbacks.server";
import { registerWebhookRoutes } from "../../app/http/platformWebhooks.server";
import type { SignedDelivery } from "../../simulators/webhooks/shopify";

export const SHOPIFY_SECRET = "shpss_test_current_secret_0123456789";
export const SHOPIFY_PREVIOUS_SECRET = "shpss_test_previous_secret_987654321";
export const BIGCOMMERCE_SECRET = "bc_client_secret_for_tests_0123456789";
export const BIGCOMMERCE_CLIENT_ID = "bc-client-id-tests";

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: "test",
    SHOPIFY_API_SECRET: SHOPIFY_SECRET,
    SHOPIFY_API_SECRET_PREVIOUS: SHOPIFY_PREVIOUS_SECRET,
    BIGCOMMERCE_CLIENT_ID,
    BIGCOMMERCE_CLIENT_SECRET: BIGCOMMERCE_SECRET,
    LOCKSTEP_WEBHOOK_BODY_LIMIT_BYTES: "65536",
    LOCKSTEP_WEBHOOK_MAX_ATTEMPTS: "3",
    ...overrides,
  });
}

export interface WebhookServer {
  url: string;
  context: AppContext;
  post(path: string, delivery: SignedDelivery): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** The webhook edges (and BigCommerce's app callbacks) alone on node:http, over the given database. */
export async function startWebhookServer(db: Database, config: Config = testConfig()): Promise<WebhookServer> {
  const context: AppContext = createAppContext(config, db);
  const router = new Router();
  registerWebhookRoutes(router, context);
  registerBigCommerceCallbacks(router, context);
  const server = http.createServer((req, res) => {
    if (!router.handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    context,
    async post(path, delivery) {
      const response = await fetch(url + path, { method: "POST", headers: delivery.headers, body: delivery.body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await closeAppContext(context);
    },
  };
}
