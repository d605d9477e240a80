import { LockstepError } from "../config/errors";
import type { Database } from "../db/database.server";
import { createLocationResolver } from "../inventory/locations.server";
import { type AvailabilityRow, readAvailability } from "../inventory/sql/readAvailability";
import type { AvailabilityCache } from "./cache";

/** What a storefront is told about one item. */
export interface ItemAvailability {
  sku: string;
  available: number;
  /** When the platform last confirmed the stock (the oldest component's, for a bundle). */
  updatedAt: string | null;
  /** Older than the shop's stale-data policy: `available` is already the conservative number. */
  stale: boolean;
  /** Preorder / backorder items sell virtual stock up to a limit, delivered by the promise date. */
  virtualStock?: { kind: "preorder" | "backorder"; promiseDate: string | null };
}

export const MAX_PAGE_SIZE = 250;
export const DEFAULT_PAGE_SIZE = 100;

export interface Availability {
  /** Items by SKU (unknown SKUs are left out), through the cache. */
  bySku(shopId: string, skus: string[], options?: { locationId?: string }): Promise<ItemAvailability[]>;
  /** What `bySku` answers (no location) when every SKU is in this process's cache, else undefined: no promise, nothing loaded. */
  cachedBySku(shopId: string, skus: string[]): ItemAvailability[] | undefined;
  /** Every item of the shop, a page at a time, ordered by SKU (straight from the database). */
  page(shopId: string, options: { limit?: number; cursor?: string; locationId?: string }): Promise<{ items: ItemAvailability[]; nextCursor: string | null }>;
  /** Call after every change that moves availability; `null` = the whole shop (policy change). */
  invalidate(shopId: string, skus: string[] | null): Promise<void>;
  readonly cache: AvailabilityCache<ItemAvailability>;
}

export function createAvailability(deps: { db: Database; cache: AvailabilityCache<ItemAvailability>; now?: () => Date }): Availability {
  const now = deps.now ?? (() => new Date());
  const { cache } = deps;
  const locations = createLocationResolver(deps.db);
  return {
    cache,
    async bySku(shopId, skus, options = {}) {
      const unique = [...new Set(skus)];
      const locationId = options.locationId === undefined ? undefined : await locations.resolve(shopId, options.locationId);
      const found = await cache.getMany(shopId, locationId ?? "", unique, async (missing) => {
        const rows = await readAvailability(deps.db.sql, { shopId, skus: missing, locationId, now: now() });
        return { values: new Map(rows.map((row) => [row.sku, toItem(row)] as const)), ttlMs: (rows[0]?.cache_ttl ?? 30) * 1000 };
      });
      return itemsInOrder(unique, found);
    },
    cachedBySku(shopId, skus) {
      const unique = skus.length === 1 ? skus : [...new Set(skus)];
      const found = cache.peekMany(shopId, "", unique);
      return found && itemsInOrder(unique, found);
    },
    async page(shopId, options) {
      const limit = options.limit ?? DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
        throw new LockstepError("invalid_limit", `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
      }
      const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
      const locationId = options.locationId === undefined ? undefined : await locations.resolve(shopId, options.locationId);
      const rows = await readAvailability(deps.db.sql, { shopId, after, limit: limit + 1, locationId, now: now() });
      const items = rows.slice(0, limit).map(toItem);
      return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.sku) : null };
    },
    invalidate: (shopId, skus) => cache.invalidate(shopId, skus),
  };
}

/** The items of `skus` found, in the order asked (unknown SKUs are left out). */
function itemsInOrder(skus: string[], found: Map<string, ItemAvailability | null>): ItemAvailability[] {
  const items: ItemAvailability[] = [];
  for (const sku of skus) {
    const item = found.get(sku);
    if (item) items.push(item);
  }
  return items;
}

function toItem(row: AvailabilityRow): ItemAvailability {
  const item: ItemAvailability = { sku: row.sku, available: row.available, updatedAt: isoOrNull(row.updated_at), stale: row.stale };
  if (row.virtual_kind) item.virtualStock = { kind: row.virtual_kind, promiseDate: isoOrNull(row.promise_date) };
  return item;
}

export function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function encodeCursor(sku: string): string {
  return Buffer.from(sku, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  const sku = Buffer.from(cursor, "base64url").toString("utf8");
  if (sku.length === 0 || encodeCursor(sku) !== cursor) throw new LockstepError("invalid_cursor", "cursor is not one this API returned");
  return sku;
}
