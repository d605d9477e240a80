import { type LimiterRegistry, REDIS_NOW_MS } from "../../outbound/limiterRegistry.server";
import { TokenBucket } from "../../outbound/tokenBucket";
import { log } from "../../observability/log.server";

/** Seconds the fetcher should wait (429 Retry-After), or undefined when the fetch may go. */
export type FeedFetchLimit = (feedId: string) => Promise<number | undefined>;

// A token bucket in one Redis hash per feed, decided on Redis's clock: `rate` per second, bursts of `burst`.
const TAKE_SCRIPT = `${REDIS_NOW_MS}
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('hmget', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('hset', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('pexpire', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait`;

/**
 * The per-feed fetch allowance: `ratePerSecond`, bursts up to twice that. With a clustered limiter
 * registry (Redis) every web process draws on one allowance per feed; without Redis (one
 * process, or Redis unreachable for a moment) each process keeps its own.
 */
export function feedFetchLimit(options: { ratePerSecond: number; registry?: LimiterRegistry; now: () => number }): FeedFetchLimit {
  const burst = Math.max(1, options.ratePerSecond * 2);
  // Feed ids are checked before the token: at most this many feeds' buckets are kept, the oldest forgotten.
  const buckets = new Map<string, TokenBucket>();
  const local = (feedId: string): number | undefined => {
    const bucket = buckets.get(feedId) ?? new TokenBucket({ capacity: burst, refillPerSecond: options.ratePerSecond }, { now: options.now });
    buckets.delete(feedId);
    buckets.set(feedId, bucket);
    if (buckets.size > 10_000) buckets.delete(buckets.keys().next().value!);
    return bucket.tryTake(1) ? undefined : Math.max(1, Math.ceil(bucket.waitFor(1) / 1000));
  };
  return async (feedId) => {
    const shared = options.registry?.sharedState({ kind: "destination", id: `${feedId}:feed-fetches` });
    if (!shared) return local(feedId);
    try {
      const waitMs = Number(await shared.redis.eval(TAKE_SCRIPT, 1, shared.key, options.ratePerSecond, burst));
      return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : undefined;
    } catch (error) {
      log.warn("feed fetch limit: Redis unavailable, limiting in this process", { feedId, error });
      return local(feedId);
    }
  };
}
