import type { Config } from "../config/config.server";
import type { Database } from "../db/database.server";
import { type Availability, createAvailability, type ItemAvailability } from "../availability/availability.server";
import { AvailabilityCache } from "../availability/cache";
import { createRedisStore } from "../availability/redisStore.server";
import { createReservations, type Reservations } from "./reservations.server";
import { createInventorySettings, type InventorySettings } from "../inventory/settings.server";
import { log as appLog } from "../observability/log.server";

/** Availability, reservations and their settings, wired for one process (one cache, one Redis link). */
export interface StockServices {
  availability: Availability;
  reservations: Reservations;
  settings: InventorySettings;
  /** Resolves once this process listens for other processes' invalidations (at once without Redis). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function createStockServices(deps: {
  db: Database;
  config: Pick<Config, "redisUrl"> & Partial<Pick<Config, "reservationQueueLimit">>;
  now?: () => Date;
  log?: (message: string, error: unknown) => void;
  /** Redis key prefix (tests and benchmarks keep to their own). */
  redisPrefix?: string;
  /**
   * Wraps availability before reservations and settings get it, e.g. to also push every
   * invalidated SKU to the checkout Function's metafield (app/checkout/syncOnChange.server.ts).
   */
  wrapAvailability?: (availability: Availability) => Availability;
}): StockServices {
  const log = deps.log ?? ((message, error) => appLog.warn(message, { error }));
  const now = deps.now ?? (() => new Date());
  const shared = deps.config.redisUrl ? createRedisStore<ItemAvailability>({ url: deps.config.redisUrl, prefix: deps.redisPrefix, onError: (error) => log("availability cache: Redis unavailable", error) }) : undefined;
  const cache = new AvailabilityCache<ItemAvailability>({ clock: { now: () => now().getTime() }, shared, onSharedError: (error) => log("availability cache: Redis unavailable", error) });
  const plain = createAvailability({ db: deps.db, cache, now });
  const availability = deps.wrapAvailability ? deps.wrapAvailability(plain) : plain;
  return {
    availability,
    reservations: createReservations({ db: deps.db, availability, now, queue: { maxWaiting: deps.config.reservationQueueLimit } }),
    settings: createInventorySettings({ db: deps.db, availability }),
    ready: shared?.ready ?? Promise.resolve(),
    close: () => cache.close(),
  };
}
