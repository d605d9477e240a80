import { LockstepError } from "../config/errors";
import type { Database } from "../db/database.server";
import { type Availability, isoOrNull } from "../availability/availability.server";
import { createLocationResolver, isUuid } from "../inventory/locations.server";
import { MAX_QUANTITY, MAX_RESERVATION_TTL_SECONDS } from "../inventory/policy";
import { commit as commitStatement } from "./sql/commit";
import { createHolds } from "./sql/createHolds";
import { extend as extendStatement } from "./sql/extend";
import { forgetReflectedCommits } from "./sql/forgetReflectedCommits";
import { findReservationsByKeys, findReservationsByOrder, getReservation } from "./sql/getReservation";
import { type ActiveHoldRow, type HeldItemRow, listActiveHolds, listHeldItems } from "./sql/listHolds";
import { release as releaseStatement, type ReleaseResult } from "./sql/release";
import { releaseExpired } from "./sql/releaseExpired";
import { createReserveQueue, type ReserveQueue, type ReserveQueueOptions } from "./reserveQueue.server";
import type { ChangedSku, ReservationRow } from "./sql/reservationRow";

export interface ReservationLine {
  sku: string;
  quantity: number;
}

/** A reservation as the APIs show it. */
export interface Reservation {
  id: string;
  key: string;
  status: "active" | "released" | "expired" | "committed";
  expiresAt: string;
  lines: ReservationLine[];
  locationId: string | null;
  createdAt: string;
  updatedAt: string;
  releasedAt: string | null;
  releaseReason: string | null;
  committedAt: string | null;
  orderId: string | null;
}

export interface Shortage {
  sku: string;
  requested: number;
  available: number;
}

export interface ReserveInput {
  key: string;
  lines: ReservationLine[];
  ttlSeconds?: number;
  /** Required when the shop reserves per location; ignored by pooled shops. */
  locationId?: string;
}

export const MAX_LINES = 100;
export { MAX_QUANTITY };
export const MAX_KEY_LENGTH = 200;

export interface Reservations {
  /** Holds the lines (all or none) for `key`; the same key again adjusts that hold. 409 with shortages when stock is short. */
  reserve(shopId: string, input: ReserveInput, options?: { signal?: AbortSignal }): Promise<{ reservation: Reservation; created: boolean }>;
  extend(shopId: string, id: string, ttlSeconds?: number): Promise<Reservation>;
  /** Gives the units back (payment failed, cart emptied...). Releasing twice is harmless. */
  release(shopId: string, id: string, reason?: string): Promise<Reservation>;
  /** The order is placed: the hold becomes committed stock until the platform's inventory shows the order. */
  commit(shopId: string, id: string, order?: { orderExternalId?: string; orderedAt?: Date }): Promise<Reservation>;
  get(shopId: string, id: string): Promise<Reservation>;
  /** The reservation held under `key`, if there is one. */
  getByKey(shopId: string, key: string): Promise<Reservation | null>;
  /** OrderCreated: commits the reservation of the order's cart / checkout token, if there is one. */
  commitForOrder(shopId: string, order: { orderExternalId: string; orderedAt: Date; keys: string[] }): Promise<Reservation[]>;
  /** OrderCancelled: releases what is still held for the order or its tokens. */
  releaseForOrder(shopId: string, order: { orderExternalId: string; keys: string[] }): Promise<Reservation[]>;
  /** The sweeper's round: expires holds whose time is up (in batches) and trims reflected commits. */
  sweep(options?: { batchSize?: number; maxBatches?: number }): Promise<{ expired: number }>;
  /** How reservation calls were run: alone, in batches, run again (see reserveQueue.ts). */
  queueStats(): ReturnType<ReserveQueue["stats"]>;
  /** The admin's reservations page: active holds (soonest expiry first) and what is held per item. */
  overview(shopId: string, options?: { limit?: number }): Promise<ReservationsOverview>;
}

export interface ReservationsOverview {
  activeHolds: { id: string; key: string; lines: ReservationLine[]; units: number; locationId: string | null; createdAt: string; expiresAt: string; expiresInSeconds: number }[];
  byItem: { sku: string; title: string; productTitle: string; scope: string; reserved: number; committedPending: number; sold: number; nextExpiry: string | null }[];
  totals: { activeHolds: number; unitsHeld: number };
}

export interface ReservationsDeps {
  db: Database;
  availability: Availability;
  now?: () => Date;
  /** Committed holds whose order the platform never reflects are forgotten after this long (untracked items). */
  forgetCommittedAfterMs?: number;
  /** How reservation calls are coalesced under load (reserveQueue.ts). */
  queue?: ReserveQueueOptions;
}

// A hold row is created on first use: a reservation naming an item that has none yet comes back
// with the rows it misses, creates them, and runs again.
const MAX_ATTEMPTS = 4;

export function createReservations(deps: ReservationsDeps): Reservations {
  const { db, availability } = deps;
  const now = deps.now ?? (() => new Date());
  const forgetAfter = deps.forgetCommittedAfterMs ?? 24 * 3600_000;
  const locations = createLocationResolver(db);
  const queue = createReserveQueue(db.sql, deps.queue);

  const invalidate = async (changed: ChangedSku[] | null) => {
    if (!changed || changed.length === 0) return;
    const byShop = new Map<string, string[]>();
    for (const { shop_id, sku } of changed) byShop.set(shop_id, [...(byShop.get(shop_id) ?? []), sku]);
    await Promise.all([...byShop].map(([shopId, skus]) => availability.invalidate(shopId, skus)));
  };


  const found = (row: ReservationRow | null | undefined, id: string): ReservationRow => {
    if (!row) throw new LockstepError("reservation_not_found", `No reservation ${id} in this shop`);
    return row;
  };

  const releaseOne = async (shopId: string, id: string, reason: string): Promise<ReleaseResult> => {
    const result = await releaseStatement(db.sql, { shopId, id, reason, now: now() });
    await invalidate(result.changed_skus);
    return result;
  };

  const commitOne = async (shopId: string, id: string, orderExternalId: string, orderedAt: Date) => {
    const result = await commitStatement(db.sql, { shopId, id, orderExternalId, orderedAt, now: now() });
    await invalidate(result.changed_skus);
    return result;
  };

  return {
    queueStats: () => queue.stats(),

    async reserve(shopId, input, options = {}) {
      validateReserve(input);
      const ttlSeconds = validTtl(input.ttlSeconds);
      const locationId = input.locationId === undefined ? null : await locations.resolve(shopId, input.locationId);
      for (let attempt = 1; ; attempt++) {
        const at = now();
        const result = await queue.run({ shopId, key: input.key, lines: input.lines, locationId, now: at, ttlSeconds }, options.signal).catch(outOfRange);
        const { verdict } = result;
        if (verdict.unknown_skus) {
          throw new LockstepError("unknown_sku", `Unknown SKU: ${verdict.unknown_skus.join(", ")}`, { skus: verdict.unknown_skus });
        }
        if (verdict.location_missing) {
          throw new LockstepError("location_required", "This shop reserves per location: send the location");
        }
        if (verdict.closed) {
          return { reservation: toReservation(result.reservation!, at), created: false };
        }
        if (!verdict.holds_ready && result.missing_holds && attempt < MAX_ATTEMPTS) {
          await createHolds(db.sql, { shopId, holds: result.missing_holds });
          continue;
        }
        if (!result.applied) {
          throw new LockstepError("insufficient_stock", "Not enough stock for every line: nothing was reserved", { shortages: result.shortages ?? [] });
        }
        await invalidate((result.changed_skus ?? []).map((sku) => ({ shop_id: shopId, sku })));
        return { reservation: toReservation(result.reservation!, at), created: result.created };
      }
    },

    async extend(shopId, id, ttlSeconds) {
      assertId(id);
      const at = now();
      const row = await extendStatement(db.sql, { shopId, id, ttlSeconds: validTtl(ttlSeconds), now: at });
      if (row) return toReservation(row, at);
      const current = toReservation(found(await getReservation(db.sql, { shopId, id }), id), at);
      throw new LockstepError("reservation_not_active", `The reservation is ${current.status}: it can no longer be extended`, { status: current.status });
    },

    async release(shopId, id, reason = "released") {
      assertId(id);
      const result = await releaseOne(shopId, id, reason);
      return toReservation(found(result.reservations[0], id), now());
    },

    async commit(shopId, id, order = {}) {
      assertId(id);
      const at = now();
      const result = await commitOne(shopId, id, order.orderExternalId ?? `reservation:${id}`, order.orderedAt ?? at);
      const reservation = toReservation(found(result.reservation, id), at);
      if (reservation.status !== "committed") {
        throw new LockstepError("reservation_not_active", `The reservation is ${reservation.status}: there is no hold left to commit`, { status: reservation.status });
      }
      return reservation;
    },

    async get(shopId, id) {
      assertId(id);
      return toReservation(found(await getReservation(db.sql, { shopId, id }), id), now());
    },

    async getByKey(shopId, key) {
      const [row] = await findReservationsByKeys(db.sql, { shopId, keys: [key] });
      return row ? toReservation(row, now()) : null;
    },

    async commitForOrder(shopId, order) {
      const keys = order.keys.filter((key) => key.length > 0);
      if (keys.length === 0) return [];
      const rows = await findReservationsByKeys(db.sql, { shopId, keys });
      const committed: Reservation[] = [];
      for (const row of rows) {
        if (row.status !== "active") continue;
        const result = await commitOne(shopId, row.id, order.orderExternalId, order.orderedAt);
        if (result.reservation) committed.push(toReservation(result.reservation, now()));
      }
      return committed;
    },

    async releaseForOrder(shopId, order) {
      const rows = [
        ...(await findReservationsByOrder(db.sql, { shopId, orderExternalId: order.orderExternalId })),
        ...(order.keys.length > 0 ? await findReservationsByKeys(db.sql, { shopId, keys: order.keys }) : []),
      ];
      const released: Reservation[] = [];
      for (const row of new Map(rows.map((r) => [r.id, r])).values()) {
        // A committed hold of a cancelled order: the platform gives the units back itself (restock).
        if (row.status !== "active") continue;
        const result = await releaseOne(shopId, row.id, "order_cancelled");
        if (result.released > 0) released.push(toReservation(result.reservations[0]!, now()));
      }
      return released;
    },

    async sweep(options = {}) {
      const batchSize = options.batchSize ?? 500;
      const maxBatches = options.maxBatches ?? 20;
      let expired = 0;
      for (let batch = 0; batch < maxBatches; batch++) {
        const result = await releaseExpired(db.sql, { now: now(), limit: batchSize });
        expired += result.released;
        await invalidate(result.changed_skus);
        if (result.reservations.length < batchSize) break;
      }
      await forgetReflectedCommits(db.sql, { forgetBefore: new Date(now().getTime() - forgetAfter) });
      return { expired };
    },

    async overview(shopId, options = {}) {
      const at = now();
      const [holds, items] = await Promise.all([
        listActiveHolds(db.sql, { shopId, now: at, limit: options.limit ?? 200 }),
        listHeldItems(db.sql, { shopId, now: at }),
      ]);
      return toOverview(holds, items, at);
    },
  };
}

function toOverview(holds: ActiveHoldRow[], items: HeldItemRow[], at: Date): ReservationsOverview {
  return {
    activeHolds: holds.map((h) => ({
      id: h.id,
      key: h.key,
      lines: h.lines,
      units: h.units,
      locationId: h.location_id,
      createdAt: new Date(h.created_at).toISOString(),
      expiresAt: new Date(h.expires_at).toISOString(),
      expiresInSeconds: Math.max(0, Math.round((new Date(h.expires_at).getTime() - at.getTime()) / 1000)),
    })),
    byItem: items.map((i) => ({
      sku: i.sku,
      title: i.title,
      productTitle: i.product_title,
      scope: i.scope,
      reserved: i.reserved,
      committedPending: i.committed_pending,
      sold: i.sold,
      nextExpiry: isoOrNull(i.next_expiry),
    })),
    totals: { activeHolds: holds.length, unitsHeld: items.reduce((sum, i) => sum + i.reserved, 0) },
  };
}

/** An active hold whose time is up counts as expired even before the sweeper gets to it. */
export function toReservation(row: ReservationRow, at: Date): Reservation {
  const expiresAt = new Date(row.expires_at);
  const status = row.status === "active" && expiresAt.getTime() <= at.getTime() ? "expired" : row.status;
  return {
    id: row.id,
    key: row.key,
    status,
    expiresAt: expiresAt.toISOString(),
    lines: row.lines,
    locationId: row.location_id,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    releasedAt: isoOrNull(row.released_at),
    releaseReason: row.release_reason,
    committedAt: isoOrNull(row.committed_at),
    orderId: row.order_external_id,
  };
}

function validateReserve(input: ReserveInput): void {
  if (typeof input.key !== "string" || input.key.trim().length === 0 || input.key.length > MAX_KEY_LENGTH) {
    throw new LockstepError("invalid_key", `key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters (cart token, checkout or payment intent id)`);
  }
  if (!Array.isArray(input.lines) || input.lines.length === 0 || input.lines.length > MAX_LINES) {
    throw new LockstepError("invalid_lines", `lines must hold 1 to ${MAX_LINES} lines`);
  }
  for (const line of input.lines) {
    if (typeof line?.sku !== "string" || line.sku.length === 0 || line.sku.length > 255) {
      throw new LockstepError("invalid_lines", "every line needs a sku");
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw new LockstepError("invalid_lines", `quantity of ${line.sku} must be a whole number from 1 to ${MAX_QUANTITY}`);
    }
  }
}

/** A bundle's components times the quantity can pass what a stock column holds (SQLSTATE 22003): the request's fault. */
function outOfRange(error: unknown): never {
  if (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "22003") {
    throw new LockstepError("quantity_out_of_range", "The quantity asked for is more units than an item can hold: ask for fewer");
  }
  throw error;
}

function assertId(id: string): void {
  if (!isUuid(id)) throw new LockstepError("reservation_not_found", `No reservation ${id} in this shop`);
}

function validTtl(ttlSeconds: number | undefined): number | null {
  if (ttlSeconds === undefined) return null;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_RESERVATION_TTL_SECONDS) {
    throw new LockstepError("invalid_ttl", `ttlSeconds must be a whole number from 1 to ${MAX_RESERVATION_TTL_SECONDS}`);
  }
  return ttlSeconds;
}
