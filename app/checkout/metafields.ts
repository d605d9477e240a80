import type { ItemAvailability } from "../availability/availability.server";
import type { InventoryPolicy } from "../inventory/policy";

/**
 * What Lockstep writes for the checkout Function (extensions/availability-validation), in
 * metafields only our app can read and write (`$app:` namespace). The Function reads exactly
 * these shapes; a test feeds this module's output to the Function's own parser.
 */
export const LOCKSTEP_METAFIELD_NAMESPACE = "$app:lockstep";
/** On each product variant: its availability. */
export const AVAILABILITY_METAFIELD_KEY = "availability";
/** On the checkout validation (the Function's owner): Lockstep's heartbeat, the Function's only clock. */
export const CHECKOUT_CLOCK_METAFIELD_KEY = "checkout-clock";
export const METAFIELD_TYPE = "json";

/** How the Function treats availability it cannot trust any more. */
export interface StalePolicyValue {
  maxAgeSeconds: number;
  fallback: "cap" | "block_low_stock";
  capQuantity: number;
  lowStockThreshold: number;
}

export interface AvailabilityMetafieldValue {
  available: number;
  updatedAt: string | null;
  stale: boolean;
  stock: "physical" | "preorder" | "backorder";
  stalePolicy: StalePolicyValue;
}

export interface CheckoutClockValue {
  at: string;
  validUntil: string;
  /** `validUntil` as a wall-clock time in the shop's time zone: the Function compares it with the shop's local time. */
  clockValidUntilLocal: string;
}

/** The shop's stale-data policy in the Function's terms ("show zero until fresh data" is a cap of 0). */
export function stalePolicyValue(policy: InventoryPolicy): StalePolicyValue {
  const common = { maxAgeSeconds: policy.staleAfterSeconds, lowStockThreshold: policy.lowStockThreshold };
  switch (policy.staleAction) {
    case "cap":
      return { ...common, fallback: "cap", capQuantity: policy.staleCapQuantity };
    case "hide_low_stock":
      return { ...common, fallback: "block_low_stock", capQuantity: policy.staleCapQuantity };
    case "block":
      return { ...common, fallback: "cap", capQuantity: 0 };
  }
}

export function availabilityMetafieldValue(item: ItemAvailability, policy: InventoryPolicy): AvailabilityMetafieldValue {
  return {
    available: Math.max(0, item.available),
    updatedAt: item.updatedAt,
    stale: item.stale,
    stock: item.virtualStock?.kind ?? "physical",
    stalePolicy: stalePolicyValue(policy),
  };
}

/** A heartbeat written at `now` that vouches for Lockstep's numbers for `validForSeconds`. */
export function checkoutClockValue(now: Date, validForSeconds: number, timeZone: string): CheckoutClockValue {
  // Whole seconds: the local form has no fractions, and rounding down only makes the clock expire earlier.
  const validUntil = new Date(Math.floor(now.getTime() / 1000) * 1000 + validForSeconds * 1000);
  return { at: now.toISOString(), validUntil: validUntil.toISOString(), clockValidUntilLocal: wallClockTime(validUntil, timeZone) };
}

/** `2026-11-27T03:02:00`: the instant as a clock in `timeZone` shows it (Shopify's DateTimeWithoutTimezone). */
export function wallClockTime(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${part("year")}-${part("month")}-${part("day")}T${part("hour")}:${part("minute")}:${part("second")}`;
}

/** The Admin API id of a variant from what Lockstep stored (a GID, or the bare number webhooks carry). */
export function productVariantGid(externalId: string): string | undefined {
  if (externalId.startsWith("gid://shopify/ProductVariant/")) return externalId;
  return /^\d+$/.test(externalId) ? `gid://shopify/ProductVariant/${externalId}` : undefined;
}
