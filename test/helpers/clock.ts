import type { Clock } from "../../app/config/clock";

/**
 * The one test clock: it moves only when told to, so tests move time instead of waiting for it.
 * It is app/config/clock.ts's `Clock` (`now()` in milliseconds, `sleep`) for code that counts
 * milliseconds or waits, and gives `date()` to domain code that takes `now: () => Date`. Its
 * members are bound: pass `clock.date` or `clock.now` as they are. `sleep` resolves when `advance`
 * passes its deadline; `sleeps` records every wait asked for, so tests check backoff without waiting.
 */
export interface ManualClock extends Clock {
  date(): Date;
  readonly sleeps: number[];
  /** Moves time at once (a caller that does not wait still sees it moved); resolves once the due sleeps' continuations ran. */
  advance(ms: number): Promise<void>;
}

let clocks = 0;

/**
 * Without a start, each new clock starts a day before the previous one, so the holds left by
 * earlier tests of a file lie in the future and never expire in a later test's sweep.
 */
export function manualClock(start: number | Date = Date.parse("2026-11-27T10:00:00.000Z") - clocks++ * 86_400_000): ManualClock {
  let current = typeof start === "number" ? start : start.getTime();
  const sleeps: number[] = [];
  let waiters: Array<{ at: number; resolve: () => void }> = [];
  return {
    now: () => current,
    date: () => new Date(current),
    sleeps,
    sleep(ms) {
      sleeps.push(ms);
      return new Promise((resolve) => waiters.push({ at: current + ms, resolve }));
    },
    async advance(ms) {
      current += ms;
      const due = waiters.filter((waiter) => waiter.at <= current);
      waiters = waiters.filter((waiter) => waiter.at > current);
      for (const waiter of due) waiter.resolve();
      // Let the continuations of the resolved sleeps run.
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
  };
}

/** Real time for a limiter, but retries do not actually wait: each wait is only recorded. */
export function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms), sleeps };
}
