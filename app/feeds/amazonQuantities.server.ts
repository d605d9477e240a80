import type { SqlRunner } from "../db/database.server";
import { readAvailability } from "../inventory/sql/readAvailability";

/**
 * The quantity a marketplace is told per SKU: Lockstep's availability (pooled over the shop's
 * locations, safety stock, reservations and pending holds taken off, bundles from their components)
 * — what the storefront API answers — not the platform's raw count.
 */
export function sellableQuantities(sql: SqlRunner, now: () => Date = () => new Date()) {
  return async (shopId: string, skus: string[]): Promise<Map<string, number>> => {
    const rows = await readAvailability(sql, { shopId, skus, now: now() });
    return new Map(rows.map((row) => [row.sku, Math.max(0, row.available)]));
  };
}
