/** Time in milliseconds, for code that counts or waits (limiters, retries, caches, rate limits): injected so tests can drive it and benchmarks can measure it. Domain code that only needs "when" takes `now: () => Date` instead (ARCHITECTURE.md, Conventions). */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** Uniform random number in [0, 1): injected so jitter is reproducible in tests. */
export type Random = () => number;
