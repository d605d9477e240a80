import type { AppContext } from "./context.server";
import { stockServicesFor } from "./inventory/services.server";
import { subscribeToPlatformEvents } from "./reservations/orderEvents.server";
import { startReservationSweeper } from "./reservations/sweeper.server";
import { log } from "./observability/log";
import { refreshCheckoutClocksFor } from "./storefront/wiring.server";
import { startWebhookWorkers } from "./webhooks/workers.server";

/** Stops a piece of background work and resolves once it has let go of the database. */
export type StopWork = () => Promise<void>;

/**
 * Starts the background work of one process (webhook workers, reservation sweeper, batch
 * flushers). In the embedded mode it all runs inside the app process; with PostgreSQL the
 * same work can also run in separate `npm run worker` processes.
 */
export async function startBackgroundWork(context: AppContext): Promise<StopWork[]> {
  const stops: StopWork[] = [];
  stops.push(startWebhookWorkers(context));
  const stock = stockServicesFor(context);
  const unsubscribe = subscribeToPlatformEvents({ db: context.db, ...stock });
  const stopSweeper = startReservationSweeper(stock.reservations, { intervalMs: context.config.reservationSweepSeconds * 1000 });
  stops.push(async () => {
    unsubscribe();
    await stopSweeper();
    await stock.close();
  });
  stops.push(startCheckoutClock(context));
  return stops;
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
