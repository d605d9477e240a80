/** How one shop wants availability computed (the `inventory_policy` row, or these defaults). */
export interface InventoryPolicy {
  availabilityMode: "pooled" | "per_location";
  defaultSafetyStock: number;
  oversellThreshold: number;
  cacheTtlSeconds: number;
  staleAfterSeconds: number;
  staleAction: "cap" | "hide_low_stock" | "block";
  staleCapQuantity: number;
  lowStockThreshold: number;
  reservationTtlSeconds: number;
  /** Caps on one hold placed through the app proxy (app/reservations/shopperHolds.server.ts). */
  proxyMaxQuantity: number;
  proxyMaxStockPercent: number;
  proxyMaxHoldSeconds: number;
  /** A 409 through the app proxy gives the exact count left only at or below this. */
  proxyExactStockUpTo: number;
}

/** Kept equal to the column defaults of prisma/schema/inventory.prisma (a test checks it). */
export const DEFAULT_POLICY: InventoryPolicy = {
  availabilityMode: "pooled",
  defaultSafetyStock: 0,
  oversellThreshold: 0,
  cacheTtlSeconds: 30,
  staleAfterSeconds: 900,
  staleAction: "cap",
  staleCapQuantity: 1,
  lowStockThreshold: 3,
  reservationTtlSeconds: 900,
  proxyMaxQuantity: 10,
  proxyMaxStockPercent: 50,
  proxyMaxHoldSeconds: 900,
  proxyExactStockUpTo: 5,
};

/** The longest hold a storefront may ask for: a day covers any checkout, including slow payments. */
export const MAX_RESERVATION_TTL_SECONDS = 86_400;

/** The most units of one item a reservation line (and a shopper cap) may hold. */
export const MAX_QUANTITY = 10_000;

/** The scope of holds on preorder / backorder items: virtual stock, never physical. */
export const VIRTUAL_SCOPE = "virtual";
/** The scope of pooled holds: all active locations together. */
export const POOLED_SCOPE = "all";
