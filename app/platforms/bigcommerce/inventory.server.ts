import { LockstepError } from "../../config/errors";
import { type BigCommerceClient } from "./client.server";
import { pages } from "./catalog.server";

/** One item of an adjustment: a location and exactly one of variant / product / sku. */
export type InventoryAdjustmentItem = { location_id: number; quantity: number } & (
  | { variant_id: number }
  | { product_id: number }
  | { sku: string }
);

export interface InventoryItemAtLocations {
  identity: { sku?: string; variant_id?: number; product_id?: number; sku_id?: number };
  locations: Array<{ location_id: number; available_to_sell: number; total_inventory_onhand: number; settings?: { safety_stock?: number } }>;
}

/** BigCommerce takes at most 2,000 items per adjustment call. */
export const MAX_ADJUSTMENT_ITEMS = 2_000;

export function chunk<T>(items: readonly T[], size = MAX_ADJUSTMENT_ITEMS): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}

/**
 * Absolute levels (the default way Lockstep pushes stock): idempotent, so a retry after a timeout
 * is safe. Returns one transaction id per chunk.
 */
export async function setAbsoluteInventory(client: BigCommerceClient, items: InventoryAdjustmentItem[], reason: string): Promise<string[]> {
  return sendAdjustments(client, "PUT", "/v3/inventory/adjustments/absolute", items, reason, true);
}

/**
 * Relative deltas (order-driven changes). Not idempotent on BigCommerce's side, so an ambiguous
 * failure surfaces as an error with `ambiguous: true` for the caller to reconcile with a read,
 * instead of being retried blindly.
 */
export async function adjustRelativeInventory(client: BigCommerceClient, items: InventoryAdjustmentItem[], reason: string): Promise<string[]> {
  return sendAdjustments(client, "POST", "/v3/inventory/adjustments/relative", items, reason, false);
}

/** Sends the items in chunks BigCommerce accepts, one after the other; one transaction id per chunk. */
async function sendAdjustments(
  client: BigCommerceClient,
  method: "PUT" | "POST",
  path: string,
  items: InventoryAdjustmentItem[],
  reason: string,
  retryAmbiguous: boolean,
): Promise<string[]> {
  const transactions: string[] = [];
  for (const part of chunk(items)) {
    const { body } = await client.request<{ transaction_id: string }>(method, path, { body: { reason, items: part }, retryAmbiguous });
    transactions.push(body.transaction_id);
  }
  return transactions;
}

/** Inventory at every location for the given variants (or skus / products). */
export async function getInventoryItems(
  client: BigCommerceClient,
  filter: { variantIds?: number[]; productIds?: number[]; skus?: string[]; locationIds?: number[] },
): Promise<InventoryItemAtLocations[]> {
  if ([filter.variantIds, filter.productIds, filter.skus].every((list) => !list || list.length === 0)) {
    throw new LockstepError("invalid_filter", "give variant ids, product ids or skus");
  }
  const items: InventoryItemAtLocations[] = [];
  for await (const item of pages<InventoryItemAtLocations>(client, "/v3/inventory/items", {
    "variant_id:in": filter.variantIds?.join(","),
    "product_id:in": filter.productIds?.join(","),
    "sku:in": filter.skus?.join(","),
    "location_id:in": filter.locationIds?.join(","),
    limit: 1000,
  })) {
    items.push(item);
  }
  return items;
}
