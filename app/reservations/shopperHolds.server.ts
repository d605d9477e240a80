import { type ErrorCode, LockstepError } from "../config/errors";
import type { Availability } from "../availability/availability.server";
import type { InventoryPolicy } from "../inventory/policy";
import type { Reservation, ReserveInput, Reservations, Shortage } from "./reservations.server";

/**
 * Holds placed by shoppers through the Shopify app proxy. Nobody vetted these callers (unlike the
 * merchant's own backend on `/api/v1`), so:
 * - each shopper has their own key namespace, which no `/api/v1` key and no other shopper's key can
 *   reach: a signed-in customer (`logged_in_customer_id`, set by Shopify) holds under
 *   `proxy:customer:<id>:<key>`; an anonymous shopper is known only by the cart token they hold,
 *   which is their key: `proxy:cart:<token>`;
 * - one hold is capped per shop (InventoryPolicy `proxy*`): units per item, share of an item's
 *   available stock, how long it holds. Beyond a cap the answer is a 400 naming it, never a clamp;
 * - a refusal (409) says how many are left only when few are (`proxyExactStockUpTo`).
 */
export type Shopper = { kind: "customer"; customerId: string } | { kind: "cart"; cartToken: string };

const PREFIX = "proxy:";

/** `/api/v1` keys may not start with this: the app proxy's namespace. */
export function isShopperKey(key: string): boolean {
  return key.startsWith(PREFIX);
}

/** The stored key of `key` held by `shopper`. An anonymous shopper's key is their cart token. */
export function shopperKey(shopper: Shopper, key: string): string {
  return shopper.kind === "customer" ? `${PREFIX}customer:${shopper.customerId}:${key}` : `${PREFIX}cart:${key}`;
}

/** The shopper's own key of a stored key: what the proxy shows them. */
function ownKey(shopper: Shopper, stored: string): string | null {
  const prefix = shopper.kind === "customer" ? `${PREFIX}customer:${shopper.customerId}:` : `${PREFIX}cart:`;
  if (!stored.startsWith(prefix)) return null;
  const key = stored.slice(prefix.length);
  return shopper.kind === "cart" && key !== shopper.cartToken ? null : key;
}

/** The keys an order's hold may be stored under: the storefront API's plain tokens and the app proxy's. */
export function orderHoldKeys(order: { cartToken?: string; checkoutToken?: string; customerExternalId?: string }): string[] {
  const tokens = [order.cartToken, order.checkoutToken].filter((token): token is string => typeof token === "string" && token.length > 0);
  const customerId = order.customerExternalId?.split("/").pop();
  return tokens.flatMap((token) => [
    token,
    shopperKey({ kind: "cart", cartToken: token }, token),
    ...(customerId ? [shopperKey({ kind: "customer", customerId }, token)] : []),
  ]);
}

export interface ShopperHoldsDeps {
  reservations: Reservations;
  availability: Pick<Availability, "bySku">;
  getPolicy(shopId: string): Promise<InventoryPolicy>;
}

export function createShopperHolds(deps: ShopperHoldsDeps) {
  const { reservations } = deps;

  /** The reservation if it is this shopper's; otherwise not found, exactly as an unknown id. */
  const owned = async (shopId: string, shopper: Shopper, id: string): Promise<Reservation> => {
    const reservation = await reservations.get(shopId, id);
    const key = ownKey(shopper, reservation.key);
    if (key === null) throw new LockstepError("reservation_not_found", `No reservation ${id} in this shop`);
    return { ...reservation, key };
  };

  const holdSeconds = (policy: InventoryPolicy, ttlSeconds: number | undefined): number => {
    if (ttlSeconds === undefined) return Math.min(policy.reservationTtlSeconds, policy.proxyMaxHoldSeconds);
    if (ttlSeconds > policy.proxyMaxHoldSeconds) {
      throw capExceeded("hold_too_long", "proxyMaxHoldSeconds", policy.proxyMaxHoldSeconds, `A hold here lasts at most ${policy.proxyMaxHoldSeconds} seconds at a time`);
    }
    return ttlSeconds;
  };

  return {
    /** Holds the lines for the shopper's `key`, within the shop's caps for shoppers. */
    async reserve(shopId: string, shopper: Shopper, input: ReserveInput, options: { signal?: AbortSignal } = {}) {
      const policy = await deps.getPolicy(shopId);
      const ttlSeconds = holdSeconds(policy, input.ttlSeconds);
      const wanted = new Map<string, number>();
      for (const line of input.lines) wanted.set(line.sku, (wanted.get(line.sku) ?? 0) + line.quantity);
      for (const [sku, quantity] of wanted) {
        if (quantity > policy.proxyMaxQuantity) {
          throw capExceeded("quantity_cap", "proxyMaxQuantity", policy.proxyMaxQuantity, `A hold here takes at most ${policy.proxyMaxQuantity} of ${sku}`, { sku });
        }
      }
      const key = shopperKey(shopper, input.key);
      const [existing, items] = await Promise.all([reservations.getByKey(shopId, key), deps.availability.bySku(shopId, [...wanted.keys()], { locationId: input.locationId })]);
      // What the hold already has counts as the shopper's own: keeping or lowering it is never refused.
      const held = new Map((existing?.status === "active" ? existing.lines : []).map((line) => [line.sku, line.quantity]));
      for (const item of items) {
        const quantity = wanted.get(item.sku) ?? 0;
        const own = held.get(item.sku) ?? 0;
        const share = Math.max(1, Math.floor(((item.available + own) * policy.proxyMaxStockPercent) / 100));
        if (quantity > Math.max(own, share)) {
          throw capExceeded("stock_share_cap", "proxyMaxStockPercent", policy.proxyMaxStockPercent, `A hold here takes at most ${policy.proxyMaxStockPercent} % of what is left of ${item.sku}`, { sku: item.sku });
        }
      }
      try {
        const { reservation, created } = await reservations.reserve(shopId, { ...input, key, ttlSeconds }, options);
        return { reservation: { ...reservation, key: input.key }, created };
      } catch (error) {
        throw revealingLess(error, policy.proxyExactStockUpTo);
      }
    },

    get: owned,

    async extend(shopId: string, shopper: Shopper, id: string, ttlSeconds: number | undefined): Promise<Reservation> {
      const { key } = await owned(shopId, shopper, id);
      return { ...(await reservations.extend(shopId, id, holdSeconds(await deps.getPolicy(shopId), ttlSeconds))), key };
    },

    async release(shopId: string, shopper: Shopper, id: string, reason = "released"): Promise<Reservation> {
      const { key } = await owned(shopId, shopper, id);
      return { ...(await reservations.release(shopId, id, reason)), key };
    },
  };
}

export type ShopperHolds = ReturnType<typeof createShopperHolds>;

function capExceeded(code: ErrorCode, cap: keyof InventoryPolicy, limit: number, message: string, details: Record<string, unknown> = {}): LockstepError {
  return new LockstepError(code, message, { cap, limit, ...details });
}

/** A refusal shows the exact count left only at or below `exactUpTo`; above it, just which items are short. */
function revealingLess(error: unknown, exactUpTo: number): unknown {
  if (!(error instanceof LockstepError) || error.code !== "insufficient_stock") return error;
  const shortages = (error.details?.shortages ?? []) as Shortage[];
  const shown = shortages.map(({ sku, requested, available }) => (available <= exactUpTo ? { sku, requested, available } : { sku, requested }));
  return new LockstepError(error.code, error.message, { shortages: shown });
}
