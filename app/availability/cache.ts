/**
 * The availability cache: one entry per (shop, scope, SKU), each living `ttl` (the shop's setting),
 * dropped explicitly by every change that moves availability. In front of an optional shared
 * store (Redis) so that several processes share entries and invalidations.
 *
 * Misses are single-flight: however many requests miss the same entry at once, one load runs and
 * they all wait for it. A load that started before an invalidation never stores its (older) answer.
 */

import { type Clock, systemClock } from "../config/clock";

/** What is cached per SKU; `null` records an unknown SKU (so a flood of bad SKUs does not reach the database). */
export type Cached<V> = V | null;

export interface LoadResult<V> {
  values: Map<string, Cached<V>>;
  ttlMs: number;
}

/** Loads the entries for some SKUs of one shop and scope from the source of truth. */
export type Loader<V> = (skus: string[]) => Promise<LoadResult<V>>;

/** A store shared by processes (Redis): see redisStore.server.ts. */
export interface SharedStore<V> {
  /** Entries found, plus a token per SKU to hand back to `put` (it refuses to store across an invalidation). */
  get(shopId: string, scope: string, skus: string[]): Promise<{ found: Map<string, Cached<V>>; tokens: Map<string, string> }>;
  put(shopId: string, scope: string, entries: Map<string, Cached<V>>, tokens: Map<string, string>, ttlMs: number): Promise<void>;
  /** Invalidates everywhere: the shared entries and, through `onInvalidate`, every process's own copies. */
  invalidate(shopId: string, skus: string[] | null): Promise<void>;
  onInvalidate(listener: (shopId: string, skus: string[] | null) => void): void;
  close(): Promise<void>;
}

interface Entry<V> {
  value: Cached<V>;
  expiresAt: number;
}

interface Flight<V> {
  promise: Promise<Cached<V>>;
}

export interface CacheStats {
  hits: number;
  misses: number;
  loads: number;
}

export interface AvailabilityCacheOptions<V> {
  clock?: Pick<Clock, "now">;
  shared?: SharedStore<V>;
  /** Entries kept in this process; beyond it the shop holding the most gives up its oldest. */
  maxEntries?: number;
  /** Shared store failures (Redis down) are reported here; the cache then reads the database. */
  onSharedError?: (error: unknown) => void;
}

export class AvailabilityCache<V> {
  private readonly entries = new Map<string, Map<string, Entry<V>>>();
  private readonly flights = new Map<string, Map<string, Flight<V>>>();
  private readonly clock: Pick<Clock, "now">;
  private readonly shared?: SharedStore<V>;
  private readonly maxEntries: number;
  private readonly onSharedError: (error: unknown) => void;
  private size = 0;
  readonly stats: CacheStats = { hits: 0, misses: 0, loads: 0 };

  constructor(options: AvailabilityCacheOptions<V> = {}) {
    this.clock = options.clock ?? systemClock;
    this.shared = options.shared;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.onSharedError = options.onSharedError ?? (() => undefined);
    this.shared?.onInvalidate((shopId, skus) => this.forget(shopId, skus));
  }

  /**
   * The entries of `skus`, loading the missing ones with `load` (once, however many callers).
   * Synchronous work only on a full hit: no promise is created per entry.
   */
  async getMany(shopId: string, scope: string, skus: string[], load: Loader<V>): Promise<Map<string, Cached<V>>> {
    const result = new Map<string, Cached<V>>();
    const shopEntries = this.entries.get(shopId);
    const now = this.clock.now();
    let missing: string[] | undefined;
    for (const sku of skus) {
      const entry = shopEntries?.get(entryKey(scope, sku));
      if (entry && entry.expiresAt > now) {
        result.set(sku, entry.value);
        this.stats.hits++;
      } else {
        (missing ??= []).push(sku);
      }
    }
    if (!missing) return result;
    this.stats.misses += missing.length;

    const waits: Promise<void>[] = [];
    const toLoad: string[] = [];
    const shopFlights = this.flightsOf(shopId);
    for (const sku of missing) {
      const flight = shopFlights.get(entryKey(scope, sku));
      if (flight) waits.push(flight.promise.then((value) => void result.set(sku, value)));
      else toLoad.push(sku);
    }
    if (toLoad.length > 0) waits.push(this.fly(shopId, scope, toLoad, load, result));
    await Promise.all(waits);
    return result;
  }

  /**
   * The entries of `skus` when every one is held here and fresh, else undefined (nothing is loaded,
   * nothing counted): the answer of a full hit without a promise.
   */
  peekMany(shopId: string, scope: string, skus: string[]): Map<string, Cached<V>> | undefined {
    const shopEntries = this.entries.get(shopId);
    if (!shopEntries) return undefined;
    const now = this.clock.now();
    const result = new Map<string, Cached<V>>();
    for (const sku of skus) {
      const entry = shopEntries.get(entryKey(scope, sku));
      if (!entry || entry.expiresAt <= now) return undefined;
      result.set(sku, entry.value);
    }
    this.stats.hits += skus.length;
    return result;
  }

  /** Drops the entries of these SKUs (all scopes) here and, with a shared store, in every process. */
  async invalidate(shopId: string, skus: string[] | null): Promise<void> {
    if (skus !== null && skus.length === 0) return;
    this.forget(shopId, skus);
    if (this.shared) {
      try {
        await this.shared.invalidate(shopId, skus);
      } catch (error) {
        this.onSharedError(error);
      }
    }
  }

  async close(): Promise<void> {
    await this.shared?.close();
  }

  private forget(shopId: string, skus: string[] | null): void {
    const shopEntries = this.entries.get(shopId);
    const shopFlights = this.flights.get(shopId);
    if (skus === null) {
      this.size -= shopEntries?.size ?? 0;
      this.entries.delete(shopId);
      // Loads in flight keep running for their callers but will not store: their flight is gone.
      this.flights.delete(shopId);
      return;
    }
    const wanted = new Set(skus);
    for (const map of [shopEntries, shopFlights]) {
      if (!map) continue;
      for (const key of map.keys()) {
        if (wanted.has(skuOf(key)) && map.delete(key) && map === shopEntries) this.size--;
      }
    }
  }

  private fly(shopId: string, scope: string, skus: string[], load: Loader<V>, result: Map<string, Cached<V>>): Promise<void> {
    this.stats.loads++;
    const batch = this.loadThrough(shopId, scope, skus, load);
    const shopFlights = this.flightsOf(shopId);
    const mine = new Map<string, Flight<V>>();
    for (const sku of skus) {
      const flight: Flight<V> = { promise: batch.then(({ values }) => values.get(sku) ?? null) };
      // Callers that join later get the failure through `then`; the flight itself must not be an
      // unhandled rejection when nobody joined (that ends the process).
      flight.promise.catch(() => undefined);
      mine.set(sku, flight);
      shopFlights.set(entryKey(scope, sku), flight);
    }
    return batch.then(
      ({ values, ttlMs }) => {
        const expiresAt = this.clock.now() + ttlMs;
        const current = this.flights.get(shopId);
        for (const sku of skus) {
          const value = values.get(sku) ?? null;
          result.set(sku, value);
          const key = entryKey(scope, sku);
          // Still our flight: nothing invalidated this SKU while we were loading, the answer is current.
          if (current?.get(key) === mine.get(sku)) {
            current!.delete(key);
            this.store(shopId, key, { value, expiresAt });
          }
        }
      },
      (error: unknown) => {
        const current = this.flights.get(shopId);
        for (const sku of skus) {
          const key = entryKey(scope, sku);
          if (current?.get(key) === mine.get(sku)) current!.delete(key);
        }
        throw error;
      },
    );
  }

  private async loadThrough(shopId: string, scope: string, skus: string[], load: Loader<V>): Promise<LoadResult<V>> {
    if (!this.shared) return load(skus);
    let tokens = new Map<string, string>();
    const values = new Map<string, Cached<V>>();
    let rest = skus;
    try {
      const got = await this.shared.get(shopId, scope, skus);
      tokens = got.tokens;
      for (const [sku, value] of got.found) values.set(sku, value);
      rest = skus.filter((sku) => !got.found.has(sku));
    } catch (error) {
      this.onSharedError(error);
    }
    if (rest.length === 0) return { values, ttlMs: this.sharedTtl(shopId) };
    const loaded = await load(rest);
    this.ttlByShop.set(shopId, loaded.ttlMs);
    for (const [sku, value] of loaded.values) values.set(sku, value);
    for (const sku of rest) if (!loaded.values.has(sku)) values.set(sku, null);
    if (tokens.size > 0) {
      const fresh = new Map(rest.map((sku) => [sku, values.get(sku) ?? null] as const));
      await this.shared.put(shopId, scope, fresh, tokens, loaded.ttlMs).catch((error: unknown) => this.onSharedError(error));
    }
    return { values, ttlMs: loaded.ttlMs };
  }

  /** Entries found in the shared store live here as long as the shop's TTL last seen (or 30 s). */
  private readonly ttlByShop = new Map<string, number>();
  private sharedTtl(shopId: string): number {
    return this.ttlByShop.get(shopId) ?? 30_000;
  }

  private store(shopId: string, key: string, entry: Entry<V>): void {
    let shopEntries = this.entries.get(shopId);
    if (!shopEntries) this.entries.set(shopId, (shopEntries = new Map()));
    if (!shopEntries.has(key)) this.size++;
    shopEntries.set(key, entry);
    if (this.size > this.maxEntries) this.evictFrom(this.fullestShop(shopId));
  }

  /**
   * The shop that gives up an entry when the cache is full: the one holding the most, so one
   * shop's flood evicts its own entries and never another shop's. The shop that just stored is
   * usually it (checked without a scan while it holds at least a fair share).
   */
  private fullestShop(storingShopId: string): string {
    const fairShare = this.maxEntries / this.entries.size;
    if ((this.entries.get(storingShopId)?.size ?? 0) >= fairShare) return storingShopId;
    let fullest = storingShopId;
    let most = 0;
    for (const [shopId, shopEntries] of this.entries) {
      if (shopEntries.size > most) [fullest, most] = [shopId, shopEntries.size];
    }
    return fullest;
  }

  /** Drops the shop's oldest entry (insertion order: with TTLs of at most 30 s the oldest is the stalest). */
  private evictFrom(shopId: string): void {
    const shopEntries = this.entries.get(shopId);
    const oldest = shopEntries?.keys().next();
    if (!shopEntries || !oldest || oldest.done) return;
    shopEntries.delete(oldest.value);
    this.size--;
    if (shopEntries.size === 0) this.entries.delete(shopId);
  }

  private flightsOf(shopId: string): Map<string, Flight<V>> {
    let shopFlights = this.flights.get(shopId);
    if (!shopFlights) this.flights.set(shopId, (shopFlights = new Map()));
    return shopFlights;
  }
}

// SKUs may hold any character but a newline is never part of one in practice; the scope never holds one.
function entryKey(scope: string, sku: string): string {
  return `${scope}\n${sku}`;
}

function skuOf(key: string): string {
  return key.slice(key.indexOf("\n") + 1);
}
