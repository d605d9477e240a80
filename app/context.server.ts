import type { Config } from "./config/config.server";
import { mappedMetafieldsOfShop } from "./feeds/fieldMapping.server";
import type { Database } from "./db/database.server";
import { createStockServices, type StockServices } from "./reservations/stockServices.server";
import { createProcessMetrics, type ProcessMetrics } from "./observability/metrics.server";
import { createLimiterRegistry, type LimiterRegistry } from "./outbound/limiterRegistry.server";
import { OutboundMetrics } from "./outbound/metrics.server";
import { createPlatformClients, type PlatformClients } from "./platforms/clients.server";
import { type ApiTokenChanges, createApiTokenChanges } from "./shops/shops.server";
import { checkoutMetafieldSync } from "./checkout/wiring.server";
import { createProcessInbox, type Inbox } from "./webhooks/inbox.server";
import { WebhookMetrics } from "./webhooks/metrics.server";
import { createSubscribers, type Subscribers } from "./webhooks/subscribers.server";

/**
 * What one Lockstep process shares: its configuration, its database and the services with state
 * (caches, limiters, clients, metrics). The server entry (server/app.ts, server/worker.ts) builds it
 * once with `createAppContext` and hands it on: to the HTTP edges and the background work as an
 * argument, to the Remix admin as its load context (app/http/remixAdapter.server.ts). Nothing reads it
 * from a global: the Remix build carries its own copy of the app's modules, and it sees these
 * objects only because they are handed to it.
 */
export interface AppContext {
  config: Config;
  db: Database;
  startedAt: Date;
  /** The process's prom-client metrics (webhooks, limiters, latency roll-ups), published for /metrics on every process. */
  metrics: ProcessMetrics;
  /** Availability (one cache), reservations and their settings; every availability change also refreshes the checkout metafields. */
  stock: StockServices;
  /** One limiter per platform store or destination: in process, or shared through Redis with REDIS_URL. */
  outbound: LimiterRegistry;
  /** The throttled Shopify and BigCommerce clients, one per shop and token. */
  platforms: PlatformClients;
  /** API tokens remembered by the edges, and who to tell when one changes. */
  apiTokens: ApiTokenChanges;
  webhooks: {
    metrics: WebhookMetrics;
    /** The durable inbox's front door (group commit); in-process workers listen to it. */
    inbox: Inbox;
    /** What runs after an event is applied (reservation commits, cache invalidation). */
    subscribers: Subscribers;
  };
  /** The product metafields (`namespace.key`) the shop's marketplace field mappings name: the catalog backfill reads them along. */
  mappedMetafields?: (shopId: string) => Promise<string[]>;
}

/** Builds the process's services once, from its configuration and its open database. */
export function createAppContext(config: Config, db: Database): AppContext {
  const processMetrics = createProcessMetrics();
  const outbound = createLimiterRegistry({ redisUrl: config.redisUrl, prefix: config.outbound.limiterPrefix, metrics: new OutboundMetrics(processMetrics.outbound.queueWait) });
  const platforms = createPlatformClients(config, outbound);
  const metrics = new WebhookMetrics(processMetrics.webhooks, processMetrics.recordSyncLatency);
  return {
    config,
    db,
    startedAt: new Date(),
    metrics: processMetrics,
    // Every availability change also refreshes the checkout Function's metafield (shops with an offline session).
    stock: createStockServices({ db, config, wrapAvailability: checkoutMetafieldSync({ db, config, platforms }) }),
    outbound,
    platforms,
    apiTokens: createApiTokenChanges(),
    webhooks: { metrics, inbox: createProcessInbox({ db, config, metrics }), subscribers: createSubscribers() },
    mappedMetafields: (shopId) => mappedMetafieldsOfShop(db.sql, shopId),
  };
}

/** Lets go of what the context holds (cache, clients, limiter timers, Redis links): after the background work stopped. */
export async function closeAppContext(context: AppContext): Promise<void> {
  await context.stock.close();
  // Limiter timers and their Redis connection go last: nothing calls out any more.
  context.platforms.close();
  await context.outbound.close();
}
