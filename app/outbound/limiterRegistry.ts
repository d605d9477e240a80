import Bottleneck from "bottleneck";
import { Redis } from "ioredis";
import { OutboundMetrics } from "./metrics";

export type LimiterKind = "shopify" | "bigcommerce" | "destination";

export interface LimiterKey {
  kind: LimiterKind;
  /** Shop domain, store hash or destination id. */
  id: string;
}

/**
 * Settings passed to Bottleneck; the registry adds the Redis clustering. Only the subset Lockstep
 * uses is exposed so every limiter is built the same way.
 */
export interface LimiterSettings {
  maxConcurrent?: number | null;
  minTime?: number;
  reservoir?: number | null;
  reservoirIncreaseInterval?: number | null;
  reservoirIncreaseAmount?: number | null;
  reservoirIncreaseMaximum?: number | null;
  /** How often Bottleneck re-checks the reservoir; keep it at the increase interval. */
  heartbeatInterval?: number;
}

export interface LimiterRegistryOptions {
  /** With a URL, every process using the same URL and prefix shares one budget per key. */
  redisUrl?: string;
  /** Namespaces the Redis keys (tests and benchmarks use a unique one and clean it up). */
  prefix?: string;
  metrics?: OutboundMetrics;
}

export interface LimiterRegistry {
  readonly clustered: boolean;
  readonly metrics: OutboundMetrics;
  /** The one limiter of this key in this process: created with `settings` the first time. */
  limiter(key: LimiterKey, settings: LimiterSettings): Bottleneck;
  /** Stops every limiter's timers and closes the Redis connection. */
  close(): Promise<void>;
  /** Deletes this registry's state from Redis (tests and benchmarks). */
  clearSharedState(): Promise<void>;
}

export function limiterName(prefix: string, key: LimiterKey): string {
  return `${prefix}:${key.kind}:${key.id}`;
}

/**
 * The one limiter factory of Lockstep: a Bottleneck per (platform or destination, store), in
 * process by default, clustered through Redis when a URL is given so that several web and worker
 * processes stay inside one platform budget together.
 */
export function createLimiterRegistry(options: LimiterRegistryOptions = {}): LimiterRegistry {
  const prefix = options.prefix ?? "lockstep";
  const metrics = options.metrics ?? new OutboundMetrics();
  const limiters = new Map<string, Bottleneck>();
  let redis: Redis | undefined;
  let connection: Bottleneck.IORedisConnection | undefined;

  if (options.redisUrl) {
    redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true });
    connection = new Bottleneck.IORedisConnection({ client: redis });
    connection.on("error", (error: unknown) => console.error("[outbound] Redis limiter connection error", error));
  }

  return {
    clustered: connection !== undefined,
    metrics,
    limiter(key, settings) {
      const name = limiterName(prefix, key);
      let limiter = limiters.get(name);
      if (!limiter) {
        limiter = new Bottleneck({
          ...settings,
          id: name,
          ...(connection
            ? {
                datastore: "ioredis",
                connection,
                // State of an idle store expires on its own instead of piling up in Redis.
                timeout: 15 * 60_000,
                clearDatastore: false,
              }
            : {}),
        });
        limiter.on("error", (error: unknown) => console.error(`[outbound] limiter ${name} error`, error));
        limiters.set(name, limiter);
      }
      return limiter;
    },
    async close() {
      const all = [...limiters.values()];
      limiters.clear();
      await Promise.all(all.map((limiter) => limiter.disconnect(false)));
      if (connection) await connection.disconnect(false);
      if (redis && redis.status !== "end") redis.disconnect();
    },
    async clearSharedState() {
      if (!redis) return;
      const keys = await redis.keys(`b_${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    },
  };
}

interface LocalStore {
  heartbeat?: NodeJS.Timeout | null;
  _startHeartbeat?: () => void;
}

/**
 * `updateSettings` for every limiter of the registry. Bottleneck 2.19.5's in-process store stops
 * its reservoir top-up timer on any `updateSettings` call (its `_startHeartbeat` clears a running
 * timer instead of keeping it), which would freeze a token bucket for good; the timer is restarted
 * here. The Redis store computes top-ups in its scripts and is not affected.
 */
export async function reconfigure(limiter: Bottleneck, settings: LimiterSettings): Promise<void> {
  await limiter.updateSettings(settings);
  const store = (limiter as unknown as { _store?: LocalStore })._store;
  if (store && typeof store._startHeartbeat === "function" && limiter.datastore === "local") {
    if (store.heartbeat) clearInterval(store.heartbeat);
    store.heartbeat = null;
    store._startHeartbeat();
  }
}
