import Bottleneck from "bottleneck";
import { Redis } from "ioredis";
import { OutboundMetrics } from "./metrics.server";
import { log } from "../observability/log.server";

export type LimiterKind = "shopify" | "bigcommerce" | "destination";

export interface LimiterKey {
  kind: LimiterKind;
  /** Shop domain, store hash or destination id. */
  id: string;
}

/** A token bucket's refill: the reservoir grows by `perSecond`, up to `maximum`. */
export interface Refill {
  perSecond: number;
  maximum: number;
}

/**
 * What a limiter may be built with. Only the subset Lockstep uses is exposed, so every limiter
 * is built the same way: `maxConcurrent` counts weight, the reservoir is the budget, `refill`
 * turns it into a token bucket.
 */
export interface LimiterSettings {
  maxConcurrent?: number | null;
  reservoir?: number | null;
  refill?: Refill;
}

export interface LimiterRegistryOptions {
  /** With a URL, every process using the same URL and prefix shares one budget per key. */
  redisUrl?: string;
  /** Namespaces the Redis keys (tests and benchmarks use a unique one and clean it up). */
  prefix?: string;
  metrics?: OutboundMetrics;
  /** How often refills are credited (ms). */
  refillIntervalMs?: number;
}

/** Where a clustered budget keeps state it shares beside its limiter: the same Redis, a key in the limiter's namespace. */
/** Lua opening of a script that decides on Redis's clock (no skew between machines): sets `now` in ms. */
export const REDIS_NOW_MS = "local t = redis.call('time') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";

export interface SharedState {
  redis: Redis;
  key: string;
}

export interface LimiterRegistry {
  readonly clustered: boolean;
  /** How often refills are credited: a budget synced from a platform's figures keeps this much restore in hand. */
  readonly refillIntervalMs: number;
  readonly metrics: OutboundMetrics;
  /** The one limiter of this key in this process: created with `settings` the first time. */
  limiter(key: LimiterKey, settings: LimiterSettings): Bottleneck;
  /** Clustered only: the Redis key (and connection) for `key`'s shared state beside its limiter. */
  sharedState(key: LimiterKey): SharedState | undefined;
  /** Changes a limiter's refill (e.g. once Shopify told us the shop's restore rate). */
  setRefill(limiter: Bottleneck, refill: Refill): Promise<void>;
  /**
   * Credits the refill accrued up to now, before a budget compares its reservoir with a
   * platform's figure: restore counted from here on cannot be counted twice.
   */
  settleRefill(limiter: Bottleneck): Promise<void>;
  /** Stops every limiter's timers and closes the Redis connection. */
  close(): Promise<void>;
}

/**
 * Bottleneck re-creates a limiter's Redis state when its scripts answer `SETTINGS_KEY_NOT_FOUND`
 * (Redis restarted or flushed, or the idle store's keys expired) or `UNKNOWN_CLIENT`, comparing
 * the error's message exactly. Redis 7 prefixes `ERR ` to a script's error reply, so without this
 * the comparison never matches and every call through that limiter fails until the process
 * restarts (the chaos run found it: after a Redis restart no destination run got through). The
 * script errors get their bare message back, so Bottleneck's own recovery runs.
 */
function recoverLostLimiterState(connection: Bottleneck.IORedisConnection): void {
  type Callback = (error: Error | null, replies: unknown) => void;
  const scripts = connection as unknown as { __scriptArgs__(name: string, id: string, args: unknown[], callback: Callback): unknown[] };
  const scriptArgs = scripts.__scriptArgs__.bind(connection);
  // The script's answer reaches Bottleneck through the callback these arguments carry.
  scripts.__scriptArgs__ = (name, id, args, callback) =>
    scriptArgs(name, id, args, (error, replies) => {
      if (error && /^ERR (SETTINGS_KEY_NOT_FOUND|UNKNOWN_CLIENT)$/.test(error.message)) error.message = error.message.slice(4);
      callback(error, replies);
    });
}

function limiterName(prefix: string, key: LimiterKey): string {
  return `${prefix}:${key.kind}:${key.id}`;
}

/**
 * The one limiter factory of Lockstep: a Bottleneck per (platform or destination, store), in
 * process by default, clustered through Redis when a URL is given so that several web and worker
 * processes stay inside one platform budget together.
 *
 * Refills: clustered, Bottleneck's Redis scripts credit `reservoirIncrease*` from elapsed time
 * exactly. In process, Bottleneck 2.19.5 credits one increment per timer tick that is not early
 * (ticks lost to timer jitter are lost restore) and stops crediting altogether after any
 * `updateSettings`; so in process the registry credits the elapsed restore itself.
 */
export function createLimiterRegistry(options: LimiterRegistryOptions = {}): LimiterRegistry {
  const prefix = options.prefix ?? "lockstep";
  const metrics = options.metrics ?? new OutboundMetrics();
  const intervalMs = options.refillIntervalMs ?? 50;
  const limiters = new Map<string, Bottleneck>();
  const localRefills = new Map<Bottleneck, LocalRefill>();
  let redis: Redis | undefined;
  let connection: Bottleneck.IORedisConnection | undefined;

  if (options.redisUrl) {
    redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true });
    connection = new Bottleneck.IORedisConnection({ client: redis });
    connection.on("error", (error: unknown) => log.error("outbound: Redis limiter connection error", { error }));
    recoverLostLimiterState(connection);
  }

  // Whole tokens per increment so Redis (HINCRBY) keeps the reservoir an integer.
  const clusteredRefill = (refill: Refill) => {
    const amount = Math.max(1, Math.round((refill.perSecond * intervalMs) / 1000));
    return {
      reservoirIncreaseAmount: amount,
      reservoirIncreaseInterval: Math.max(1, Math.round((amount * 1000) / refill.perSecond)),
      reservoirIncreaseMaximum: refill.maximum,
    };
  };

  return {
    clustered: connection !== undefined,
    refillIntervalMs: intervalMs,
    metrics,
    limiter(key, settings) {
      const name = limiterName(prefix, key);
      let limiter = limiters.get(name);
      if (!limiter) {
        const { refill, ...base } = settings;
        limiter = new Bottleneck({
          ...base,
          id: name,
          ...(connection
            ? {
                datastore: "ioredis",
                connection,
                // State of an idle store expires on its own instead of piling up in Redis.
                timeout: 15 * 60_000,
                clearDatastore: false,
                // A refilling limiter re-checks its waiting jobs as often as it refills; others are
                // woken by the changes their budget makes.
                ...(refill ? { heartbeatInterval: intervalMs, ...clusteredRefill(refill) } : {}),
              }
            : {}),
        });
        limiter.on("error", (error: unknown) => log.error("outbound: limiter error", { limiter: name, error }));
        limiters.set(name, limiter);
        if (refill && !connection) localRefills.set(limiter, new LocalRefill(limiter, refill, intervalMs));
      }
      return limiter;
    },
    sharedState(key) {
      return redis ? { redis, key: limiterName(prefix, key) } : undefined;
    },
    async setRefill(limiter, refill) {
      if (connection) {
        await limiter.updateSettings(clusteredRefill(refill));
        return;
      }
      const existing = localRefills.get(limiter);
      if (existing) existing.refill = refill;
      else localRefills.set(limiter, new LocalRefill(limiter, refill, intervalMs));
    },
    async settleRefill(limiter) {
      // Clustered, Bottleneck's scripts credit elapsed time on every call already.
      await localRefills.get(limiter)?.settle();
    },
    async close() {
      for (const refill of localRefills.values()) refill.stop();
      localRefills.clear();
      const all = [...limiters.values()];
      limiters.clear();
      await Promise.all(all.map((limiter) => limiter.disconnect(false)));
      if (connection) await connection.disconnect(false);
      if (redis && redis.status !== "end") redis.disconnect();
    },
  };
}

/**
 * Credits a local limiter's reservoir with the restore accrued since the last credit (fractions
 * carried over), never above the maximum: a token bucket without drift.
 */
class LocalRefill {
  private readonly timer: NodeJS.Timeout;
  private last = Date.now();
  private carry = 0;
  private crediting?: Promise<void>;

  constructor(
    private readonly limiter: Bottleneck,
    public refill: Refill,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.credit(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Credits what accrued since the last credit; concurrent calls share one crediting. */
  credit(): Promise<void> {
    this.crediting ??= this.creditAccrued().finally(() => {
      this.crediting = undefined;
    });
    return this.crediting;
  }

  /** A credit that starts now (one already under way may have read the time before the caller's figure). */
  async settle(): Promise<void> {
    await this.crediting;
    await this.credit();
  }

  private async creditAccrued(): Promise<void> {
    const now = Date.now();
    const due = ((now - this.last) * this.refill.perSecond) / 1000 + this.carry;
    this.last = now;
    const whole = Math.floor(due);
    this.carry = due - whole;
    if (whole <= 0) return;
    const current = (await this.limiter.currentReservoir()) ?? 0;
    // A full bucket loses what it cannot hold, as the platform's does.
    const credit = Math.min(whole, this.refill.maximum - current);
    if (credit > 0) await this.limiter.incrementReservoir(credit);
  }
}
