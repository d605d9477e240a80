import { startOrderEventDelivery } from "./batching/orderEvents.server";
import { pipelineDepsFor, startDestinationRuns } from "./batching/scheduler.server";
import { startInboundSnapshotPulls } from "./destinations/sftp/inbound.server";
import { startFeedWatchdog } from "./feeds/google/watchdog.server";
import type { AppContext } from "./context.server";
import { subscribeToPlatformEvents } from "./reservations/orderEvents.server";
import { startReservationSweeper } from "./reservations/sweeper.server";
import { startSharingTokenChanges } from "./shops/tokenChanges.server";
import { log } from "./observability/log.server";
import { startPublishingMetrics } from "./observability/processMetrics.server";
import { startProcessSloEvaluator } from "./slo/evaluator.server";
import { startPriceActivation } from "./prices/wiring.server";
import { bigCommerceTokenOf } from "./shops/platformAccess.server";
import { refreshCheckoutClocksFor } from "./checkout/wiring.server";
import { startWebhookWorkers } from "./webhooks/workerPool.server";

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
  const { stock } = context;
  const unsubscribe = subscribeToPlatformEvents(context.webhooks.subscribers, { db: context.db, reservations: stock.reservations, availability: stock.availability, apiTokens: context.apiTokens });
  const stopSweeper = startReservationSweeper(stock.reservations, { intervalMs: context.config.reservationSweepSeconds * 1000 });
  // A replaced API token or an uninstalled shop stops working in every process at once.
  const stopTokenSharing = context.config.redisUrl ? startSharingTokenChanges(context.apiTokens, context.config.redisUrl, (error) => log.warn("API token changes: Redis unavailable", { error })) : undefined;
  // Thin BigCommerce webhooks are read back through each store's throttled client, with its sealed token.
  const bigCommerce = context.platforms.bigCommerceReaderFor(bigCommerceTokenOf({ prisma: context.db.prisma, config: context.config }));
  stops.push(startWebhookWorkers(context, { count: options.webhookWorkers, onListening: options.onListening, bigCommerce }));
  stops.push(startCheckoutClock(context));
  // Every process's counters reach /metrics, whichever process is scraped.
  stops.push(startPublishingMetrics(context));
  // Objectives: every process runs the loop, the one holding the lease evaluates.
  stops.push(startProcessSloEvaluator(context));
  // The delayed half: destinations run on their cadence, threshold or "sync now" (leased per destination).
  const pipeline = pipelineDepsFor(context);
  stops.push(startDestinationRuns(pipeline));
  // ERPs that only speak files: their stock and price snapshots are pulled on each files destination's inbound cadence.
  stops.push(startInboundSnapshotPulls({ sql: context.db.sql, encryptionKey: context.config.encryptionKey, owner: pipeline.owner, registry: context.outbound }));
  // Order events fan out to the destinations that receive orders, in order per order (leased queue).
  stops.push(startOrderEventDelivery({ ...pipeline, workerId: pipeline.owner }));
  // Google feeds that stopped being fetched or rebuilt raise an alert long before Google's 30-day expiry.
  stops.push(startFeedWatchdog(context.db.sql));
  // Prices reach the store at their validFrom, once per version whichever process claims it.
  stops.push(startPriceActivation(context));
  // Stopped after the workers finished their rows; the context's services (cache, clients) are closed by its owner.
  stops.push(async () => {
    unsubscribe();
    await stopSweeper();
    await stopTokenSharing?.();
  });
  return stops;
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
