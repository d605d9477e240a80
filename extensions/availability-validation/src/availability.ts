/**
 * The availability Lockstep writes for the Function, and how much of an item a cart may hold.
 *
 * Contract with the server (app/checkout/availabilityMetafield.ts writes it; a test reads the
 * server's output with `readAvailability` below):
 *   product variant metafield `$app:lockstep` / `availability`, type `json`:
 *     {"available": 3, "updatedAt": "2026-11-27T02:00:00.000Z", "stale": false, "stock": "physical",
 *      "stalePolicy": {"maxAgeSeconds": 900, "fallback": "cap", "capQuantity": 1, "lowStockThreshold": 3}}
 *   validation (the Function's owner) metafield `$app:lockstep` / `checkout-clock`, type `json`:
 *     {"at": "…Z", "validUntil": "…Z", "clockValidUntilLocal": "2026-11-27T03:02:00"}
 *     (`clockValidUntilLocal` is `validUntil` in the shop's time zone: the input query variable.)
 */

export const LOCKSTEP_NAMESPACE = "$app:lockstep";
export const AVAILABILITY_KEY = "availability";
export const CHECKOUT_CLOCK_KEY = "checkout-clock";

export type StaleFallback = "cap" | "block_low_stock";

export interface StalePolicy {
  /** Stock the platform has not confirmed for longer than this is stale. */
  maxAgeSeconds: number;
  /** `cap`: sell at most `capQuantity`; `block_low_stock`: sell nothing when `lowStockThreshold` or fewer are left. */
  fallback: StaleFallback;
  capQuantity: number;
  lowStockThreshold: number;
}

export interface AvailabilityValue {
  /** Units a shopper may buy; already the conservative number when `stale` is true. */
  available: number;
  /** When the platform last confirmed the stock (null: never). */
  updatedAt: string | null;
  /** Lockstep already judged the stock stale when it wrote this value. */
  stale: boolean;
  /** Preorder / backorder items sell virtual stock: the platform's confirmation does not age them. */
  stock: "physical" | "preorder" | "backorder";
  stalePolicy: StalePolicy;
}

export interface CheckoutClock {
  at: string;
  validUntil: string;
  clockValidUntilLocal: string;
}

/** Why a cart may hold only `limit` units of an item. */
export type LimitReason = "fresh" | "stale_cap" | "stale_low_stock" | "unknown";

export interface Allowance {
  limit: number;
  reason: LimitReason;
}

/** The metafield's value, or undefined when it is missing or not the shape above (never trusted half-read). */
export function readAvailability(json: unknown): AvailabilityValue | undefined {
  if (!isObject(json)) return undefined;
  const { available, updatedAt, stale, stock, stalePolicy } = json;
  if (!isCount(available) || typeof stale !== "boolean") return undefined;
  if (updatedAt !== null && !isInstant(updatedAt)) return undefined;
  if (stock !== "physical" && stock !== "preorder" && stock !== "backorder") return undefined;
  if (!isObject(stalePolicy)) return undefined;
  const { maxAgeSeconds, fallback, capQuantity, lowStockThreshold } = stalePolicy;
  if (!isCount(maxAgeSeconds) || !isCount(capQuantity) || !isCount(lowStockThreshold)) return undefined;
  if (fallback !== "cap" && fallback !== "block_low_stock") return undefined;
  return { available, updatedAt, stale, stock, stalePolicy: { maxAgeSeconds, fallback, capQuantity, lowStockThreshold } };
}

/**
 * The latest instant "now" can be, from Lockstep's heartbeat; undefined when the heartbeat is
 * missing or expired, i.e. nothing vouches for the numbers any more.
 */
export function latestNow(clockJson: unknown, clockExpired: boolean): number | undefined {
  if (clockExpired || !isObject(clockJson) || !isInstant(clockJson.validUntil)) return undefined;
  return Date.parse(clockJson.validUntil);
}

/**
 * How many units of an item a cart may hold. Never more than Lockstep said; when the value is
 * stale (by Lockstep's judgement, by age, or because Lockstep's clock stopped) the shop's
 * fallback applies; when there is no value at all, nothing can be confirmed and nothing is sold.
 */
export function allowance(value: AvailabilityValue | undefined, latestNowMs: number | undefined): Allowance {
  if (!value) return { limit: 0, reason: "unknown" };
  if (!isStale(value, latestNowMs)) return { limit: value.available, reason: "fresh" };
  const policy = value.stalePolicy;
  if (policy.fallback === "cap") return { limit: Math.min(value.available, policy.capQuantity), reason: "stale_cap" };
  return { limit: value.available <= policy.lowStockThreshold ? 0 : value.available, reason: "stale_low_stock" };
}

function isStale(value: AvailabilityValue, latestNowMs: number | undefined): boolean {
  if (value.stale || latestNowMs === undefined) return true;
  if (value.stock !== "physical") return false;
  if (value.updatedAt === null) return true;
  // Age measured against the latest "now" can be: an item is judged stale early, never late.
  return latestNowMs - Date.parse(value.updatedAt) > value.stalePolicy.maxAgeSeconds * 1000;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isInstant(value: unknown): value is string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}
