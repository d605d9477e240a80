import type { SqlRunner } from "../db/database.server";
import { priceAt, type PriceAtRow } from "./sql/priceAt";
import { DEFAULT_LIST, formatAmount } from "./versions.server";
import { type Clock, systemClock } from "../config/clock";

/** A price as `/api/v1/prices` and the app proxy answer it: amounts are decimal strings. */
export interface PublicPrice {
  sku: string;
  list: string;
  amount: string;
  currency: string;
  compareAt: string | null;
  validFrom: string;
  validTo: string | null;
  version: string;
}

export interface PriceLookup {
  /** The prices of `skus` on `list` at `at` (default now); SKUs without a price then are left out. */
  prices(shopId: string, skus: string[], options?: { list?: string; at?: Date }): Promise<PublicPrice[]>;
  /** Forget a shop's cached answers (after this process planned prices for it). */
  invalidate(shopId: string): void;
}

interface Entry {
  row: PriceAtRow;
  /** The answer holds until this instant (ms): the next boundary, or the TTL for writes elsewhere. */
  until: number;
}

/**
 * The real-time lookup: answers computed from the versions themselves, so a price is current at
 * its validFrom with no job running. Answers for "now" are cached per SKU until the earlier of
 * the next boundary of that SKU (its version's end or the next version's start) and `ttlMs` (so a
 * version planned by another process is seen within it); an explicit `at` reads the database.
 */
export function createPriceLookup(deps: { sql: SqlRunner; clock?: Pick<Clock, "now">; ttlMs?: number; maxEntries?: number }): PriceLookup {
  const clock = deps.clock ?? systemClock;
  const ttlMs = deps.ttlMs ?? 1_000;
  const maxEntries = deps.maxEntries ?? 100_000;
  const cache = new Map<string, Entry>();
  const keyOf = (shopId: string, list: string, sku: string) => `${shopId}\n${list}\n${sku}`;

  return {
    async prices(shopId, skus, options = {}) {
      const list = options.list ?? DEFAULT_LIST;
      const unique = [...new Set(skus)];
      if (options.at) return (await priceAt(deps.sql, shopId, list, unique, options.at)).flatMap(publicPrice);
      const nowMs = clock.now();
      const found = new Map<string, PriceAtRow>();
      const missing: string[] = [];
      for (const sku of unique) {
        const entry = cache.get(keyOf(shopId, list, sku));
        if (entry && entry.until > nowMs) found.set(sku, entry.row);
        else missing.push(sku);
      }
      if (missing.length > 0) {
        for (const row of await priceAt(deps.sql, shopId, list, missing, new Date(nowMs))) {
          found.set(row.sku, row);
          const boundary = row.nextBoundary ? new Date(row.nextBoundary).getTime() : Infinity;
          const key = keyOf(shopId, list, row.sku);
          cache.delete(key);
          cache.set(key, { row, until: Math.min(boundary, nowMs + ttlMs) });
        }
        // Oldest written first out: the map keeps insertion order.
        for (const key of cache.keys()) {
          if (cache.size <= maxEntries) break;
          cache.delete(key);
        }
      }
      return unique.flatMap((sku) => {
        const row = found.get(sku);
        return row ? publicPrice(row) : [];
      });
    },
    invalidate(shopId) {
      for (const key of cache.keys()) if (key.startsWith(`${shopId}\n`)) cache.delete(key);
    },
  };
}

function publicPrice(row: PriceAtRow): PublicPrice[] {
  if (row.amount === null || row.version === null || row.validFrom === null) return [];
  return [
    {
      sku: row.sku,
      list: row.list,
      amount: formatAmount(row.amount),
      currency: row.currency!,
      compareAt: formatAmount(row.compareAt),
      validFrom: new Date(row.validFrom).toISOString(),
      validTo: row.validTo ? new Date(row.validTo).toISOString() : null,
      version: row.version,
    },
  ];
}
