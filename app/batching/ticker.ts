import { log } from "../observability/log.server";

/**
 * The pipeline's background loops (destination runs, SFTP inbound pulls): `pass` now and every
 * `everyMs`, never two at once (a tick while one runs is skipped); a failed pass is logged as
 * `failure` and the next tick tries again. `stopped()` tells a long pass to end early. The stop
 * resolves once the running pass ended.
 */
export function startTicker(pass: (stopped: () => boolean) => Promise<unknown>, options: { everyMs: number; failure: string }): () => Promise<void> {
  let stopped = false;
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running || stopped) return;
    running = pass(() => stopped)
      .catch((error: unknown) => log.warn(options.failure, { error }))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.everyMs);
  tick();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
