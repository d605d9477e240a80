import { type BigCommerceClient } from "./client";
import { type BigCommerceProduct, getProduct } from "./catalog";
import { type InventoryItemAtLocations, getInventoryItems } from "./inventory";

/** The thin body BigCommerce posts: it says what changed, never the new state. */
export interface BigCommerceWebhookPayload {
  scope: string;
  store_id: string | number;
  data: { type: string; id: number; inventory?: { product_id?: number; variant_id?: number; location_id?: number } };
  hash: string;
  created_at: number;
  producer: string;
}

export type FetchedState =
  | { kind: "product"; productId: number; product: BigCommerceProduct | undefined }
  | { kind: "inventory"; items: InventoryItemAtLocations[] }
  | { kind: "unsupported"; scope: string };

/**
 * Calls BigCommerce back for the state a thin webhook points at, through the store's throttled
 * client. A deleted product comes back as `product: undefined`.
 */
export async function fetchWebhookState(client: BigCommerceClient, payload: BigCommerceWebhookPayload): Promise<FetchedState> {
  const { scope, data } = payload;
  if (scope.startsWith("store/product/inventory/") || scope.startsWith("store/sku/inventory/")) {
    const inventory = data.inventory;
    const filter =
      data.type === "product" && !inventory?.variant_id
        ? { productIds: [inventory?.product_id ?? data.id] }
        : { variantIds: [inventory?.variant_id ?? data.id] };
    return { kind: "inventory", items: await getInventoryItems(client, filter) };
  }
  if (scope.startsWith("store/product/")) {
    return { kind: "product", productId: data.id, product: await getProduct(client, data.id) };
  }
  return { kind: "unsupported", scope };
}
