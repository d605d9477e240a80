import { type Clock } from "../../app/outbound/clock";

/**
 * A clock that only moves when told to. `sleep` resolves when `advance` passes its deadline;
 * `sleeps` records every wait asked for, so tests can check backoff without waiting.
 */
export class ManualClock implements Clock {
  private current: number;
  readonly sleeps: number[] = [];
  private waiters: Array<{ at: number; resolve: () => void }> = [];

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => this.waiters.push({ at: this.current + ms, resolve }));
  }

  async advance(ms: number): Promise<void> {
    this.current += ms;
    const due = this.waiters.filter((waiter) => waiter.at <= this.current);
    this.waiters = this.waiters.filter((waiter) => waiter.at > this.current);
    for (const waiter of due) waiter.resolve();
    // Let the continuations of the resolved sleeps run.
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

/** Real time for the limiter, but retries do not actually wait: each wait is only recorded. */
export function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms), sleeps };
}
