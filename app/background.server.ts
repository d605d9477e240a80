import { pipelineDepsFor, startDestinationRuns } from "./batching/scheduler.server";
import type { AppContext } from "./context.server";
import { stockServicesFor } from "./inventory/services.server";
import { subscribeToPlatformEvents } from "./reservations/orderEvents.server";
import { startReservationSweeper } from "./reservations/sweeper.server";
import { startSharingTokenChanges } from "./shops/tokenChanges.server";
import { log } from "./observability/log";
import { startPublishingMetrics } from "./observability/processMetrics.server";
import { startProcessSloEvaluator } from "./slo/evaluator.server";
import { closeOutboundRegistry } from "./outbound/registry.server";
import { bigCommerceTokenOf } from "./platforms/bigcommerce/install.server";
import { bigCommerceReaderFor, forgetPlatformClients } from "./platforms/clients.server";
import { checkoutMetafieldSync, refreshCheckoutClocksFor } from "./storefront/wiring.server";
import { startWebhookWorkers } from "./webhooks/workers.server";

/** Stops a piece of background work and resolves once it has let go of the database. */
export type StopWork = () => Promise<void>;

/**
 * Starts the background work of one process (webhook workers, reservation sweeper, batch
 * flushers). In the embedded mode it all runs inside the app process; with PostgreSQL the
 * same work can also run in separate `npm run worker` processes.
 */
export async function startBackgroundWork(context: AppContext, options: { webhookWorkers?: number; onListening?: () => void } = {}): Promise<StopWork[]> {
  const stops: StopWork[] = [];
  // Subscribers first: whichever process applies an event also commits reservations and invalidates caches.
  const stock = processStockServices(context);
  const unsubscribe = subscribeToPlatformEvents({ db: context.db, ...stock });
  const stopSweeper = startReservationSweeper(stock.reservations, { intervalMs: context.config.reservationSweepSeconds * 1000 });
  // A replaced API token or an uninstalled shop stops working in every process at once.
  const stopTokenSharing = context.config.redisUrl ? startSharingTokenChanges(context.config.redisUrl, (error) => log.warn("API token changes: Redis unavailable", { error })) : undefined;
  // Thin BigCommerce webhooks are read back through each store's throttled client, with its sealed token.
  const bigCommerce = bigCommerceReaderFor(context.config, bigCommerceTokenOf({ prisma: context.db.prisma, config: context.config }));
  stops.push(startWebhookWorkers(context, { count: options.webhookWorkers, onListening: options.onListening, bigCommerce }));
  stops.push(startCheckoutClock(context));
  // Every process's counters reach /metrics, whichever process is scraped.
  stops.push(startPublishingMetrics(context));
  // Objectives: every process runs the loop, the one holding the lease evaluates.
  stops.push(startProcessSloEvaluator(context));
  // The delayed half: destinations run on their cadence, threshold or "sync now" (leased per destination).
  stops.push(startDestinationRuns(pipelineDepsFor(context)));
  // Stopped in reverse: the workers finish their rows before the subscribers and the cache go.
  stops.push(async () => {
    unsubscribe();
    await stopSweeper();
    await stopTokenSharing?.();
    await stock.close();
    // Limiter timers and their Redis connection go last: nothing calls out any more.
    forgetPlatformClients();
    await closeOutboundRegistry();
  });
  return stops;
}

/** The process's stock services; every availability change also refreshes the checkout Function's metafield. */
export function processStockServices(context: AppContext) {
  return stockServicesFor(context, { wrapAvailability: checkoutMetafieldSync(context) });
}

/** Stops background work in order: the webhook workers first, the services they use last. */
export async function stopInOrder(stops: StopWork[]): Promise<void> {
  for (const stop of stops) await stop();
}

// The checkout Function has no clock: Lockstep's heartbeat (valid 180 s) tells it whether the
// availability it reads is still being kept. Shops turn the validation on themselves.
const CHECKOUT_CLOCK_EVERY_MS = 60_000;

function startCheckoutClock(context: AppContext): StopWork {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = refreshCheckoutClocksFor(context, new Date()).catch((error: unknown) => log.warn("checkout heartbeat failed", { error }));
  };
  const timer = setInterval(tick, CHECKOUT_CLOCK_EVERY_MS);
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
