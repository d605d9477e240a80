import { log as appLog } from "./observability/log.server";

/**
 * How a Lockstep process stops on SIGTERM / SIGINT: the first signal starts an orderly stop
 * (`stop`, which drains within `deadlineMs`), a second one ends the process at once, and a stop
 * that hangs past the deadline (plus a moment to close the database) ends it too. Exit 0 only
 * after an orderly stop.
 */
export function stopOnSignals(options: {
  deadlineMs: number;
  /** Resolves when everything is closed; may be called while start-up is still under way. */
  stop: () => Promise<void>;
  log?: (message: string) => void;
  exit?: (code: number) => void;
}): void {
  const log = options.log ?? ((message: string) => appLog.info(message));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      log(`${signal} again: stopping at once`);
      exit(1);
      return;
    }
    stopping = true;
    log(`${signal}: shutting down (finishing requests and work in hand, at most ${options.deadlineMs} ms; ${signal} again to stop at once)`);
    // The database gets a moment after the deadline to close; beyond that nothing is worth waiting for.
    setTimeout(() => {
      log("Shutdown did not finish in time: stopping at once");
      exit(1);
    }, options.deadlineMs + CLOSE_GRACE_MS).unref();
    options.stop().then(
      () => exit(0),
      (error: unknown) => {
        appLog.error("shutdown failed", { error });
        exit(1);
      },
    );
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
}

const CLOSE_GRACE_MS = 2_000;
