import type { AppContext } from "./context.server";

/** Stops a piece of background work and resolves once it has let go of the database. */
export type StopWork = () => Promise<void>;

/**
 * Starts the background work of one process (webhook workers, reservation sweeper, batch
 * flushers). In the embedded mode it all runs inside the app process; with PostgreSQL the
 * same work can also run in separate `npm run worker` processes.
 */
export async function startBackgroundWork(_context: AppContext): Promise<StopWork[]> {
  const stops: StopWork[] = [];
  return stops;
}
