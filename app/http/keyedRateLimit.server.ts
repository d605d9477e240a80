import { TokenBucket } from "../outbound/tokenBucket";
import type { Clock } from "../config/clock";

/**
 * One allowance per key (a client address, a shop's shopper): `ratePerSecond`, bursts up to twice
 * that. Answers how many seconds the caller should wait, or undefined when the request may go.
 * At most `maxKeys` are remembered, the least recently seen forgotten first: a forgotten key starts
 * again with a full bucket, which is all a flood of made-up keys wins.
 */
export function keyedRateLimit(options: { ratePerSecond: number; clock: Pick<Clock, "now">; maxKeys: number }): (key: string) => number | undefined {
  const buckets = new Map<string, TokenBucket>();
  return (key) => {
    let bucket = buckets.get(key);
    if (bucket) buckets.delete(key);
    else bucket = new TokenBucket({ capacity: options.ratePerSecond * 2, refillPerSecond: options.ratePerSecond }, options.clock);
    // Map order is insertion order: re-inserting keeps the most recently seen key last.
    buckets.set(key, bucket);
    if (buckets.size > options.maxKeys) buckets.delete(buckets.keys().next().value!);
    return bucket.tryTake(1) ? undefined : Math.max(1, Math.ceil(bucket.waitFor(1) / 1000));
  };
}
