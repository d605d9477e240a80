import type { AppContext } from "./context.server";
import { stockServicesFor } from "./inventory/services.server";
import { subscribeToPlatformEvents } from "./reservations/orderEvents.server";
import { startReservationSweeper } from "./reservations/sweeper.server";
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
  return stops;
}
