import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Cached, SharedStore } from "./cache";

/**
 * The availability cache shared by every process through Redis.
 *
 * Entries are keyed by a version per (shop, SKU) and per shop: invalidating INCRs the version, so
 * every older entry becomes unreachable at once, including one a slow reader writes after the
 * invalidation (it writes under the version it read, which nobody asks for any more). The
 * invalidation is also published so that each process drops its own copies.
 */
export function createRedisStore<V>(options: { url: string; prefix?: string; onError?: (error: unknown) => void }): SharedStore<V> & { ready: Promise<void> } {
  const prefix = options.prefix ?? "lockstep:availability";
  const onError = options.onError ?? (() => undefined);
  const origin = randomUUID();
  const channel = `${prefix}:invalidate`;
  // Fail fast while Redis is away: the cache then falls back to the database instead of queueing.
  const redis = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const subscriber = new Redis(options.url, { lazyConnect: false });
  redis.on("error", onError);
  subscriber.on("error", onError);
  const listeners: ((shopId: string, skus: string[] | null) => void)[] = [];
  const ready = subscriber.subscribe(channel).then(() => undefined, onError);
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    let parsed: { origin: string; shopId: string; skus: string[] | null };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch (error) {
      onError(error);
      return;
    }
    if (parsed.origin === origin) return;
    for (const listener of listeners) listener(parsed.shopId, parsed.skus);
  });

  const shopVersionKey = (shopId: string) => `${prefix}:v:${shopId}`;
  const skuVersionKey = (shopId: string, sku: string) => `${prefix}:v:${shopId}:${sku}`;
  const entryKey = (shopId: string, scope: string, sku: string, token: string) => `${prefix}:e:${shopId}:${scope}:${sku}:${token}`;
  // Versions outlive every entry by far; one that expired restarts at 0, by then no entry of 0 is left.
  const VERSION_TTL_SECONDS = 86_400;

  return {
    /** Resolves once this process listens for invalidations. */
    ready,
    async get(shopId, scope, skus) {
      const versions = await redis.mget(shopVersionKey(shopId), ...skus.map((sku) => skuVersionKey(shopId, sku)));
      const shopVersion = versions[0] ?? "0";
      const tokens = new Map(skus.map((sku, i) => [sku, `${shopVersion}.${versions[i + 1] ?? "0"}`] as const));
      const raw = await redis.mget(...skus.map((sku) => entryKey(shopId, scope, sku, tokens.get(sku)!)));
      const found = new Map<string, Cached<V>>();
      raw.forEach((value, i) => {
        if (value !== null) found.set(skus[i]!, JSON.parse(value) as Cached<V>);
      });
      return { found, tokens };
    },
    async put(shopId, scope, entries, tokens, ttlMs) {
      const batch = redis.multi();
      for (const [sku, value] of entries) {
        const token = tokens.get(sku);
        if (token !== undefined) batch.set(entryKey(shopId, scope, sku, token), JSON.stringify(value), "PX", Math.max(1, Math.round(ttlMs)));
      }
      await batch.exec();
    },
    async invalidate(shopId, skus) {
      const batch = redis.multi();
      if (skus === null) {
        batch.incr(shopVersionKey(shopId)).expire(shopVersionKey(shopId), VERSION_TTL_SECONDS);
      } else {
        for (const sku of skus) batch.incr(skuVersionKey(shopId, sku)).expire(skuVersionKey(shopId, sku), VERSION_TTL_SECONDS);
      }
      batch.publish(channel, JSON.stringify({ origin, shopId, skus }));
      await batch.exec();
    },
    onInvalidate(listener) {
      listeners.push(listener);
    },
    async close() {
      await ready;
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    },
  };
}
