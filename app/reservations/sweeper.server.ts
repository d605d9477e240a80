import type { StopWork } from "../background.server";
import type { Reservations } from "./reservations.server";
import { log as appLog } from "../observability/log.server";

/**
 * Background work that expires holds whose time is up, every `intervalMs`. A round that fails
 * (database away) is reported and the next one tries again; stopping waits for a round in progress.
 */
export function startReservationSweeper(reservations: Reservations, options: { intervalMs: number; log?: (message: string, error: unknown) => void }): StopWork {
  const log = options.log ?? ((message, error) => appLog.error(message, { error }));
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = reservations
        .sweep()
        .then(
          () => undefined,
          (error: unknown) => log("reservation sweep failed", error),
        )
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await round;
  };
}
