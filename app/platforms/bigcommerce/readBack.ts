// What Lockstep reads back from a BigCommerce store: its webhook payloads are thin ("product 167
// changed"), so webhook processing reads the new state through this interface. The throttled REST
// client (reader.server.ts) implements it; tests and the demo use the simulator's.

export interface BigCommerceVariantState {
  id: string;
  sku: string;
  price: string;
  title: string;
  /** Feed identifiers: `gtin` (or `upc`) and `mpn` of the variant, else of the product. */
  gtin?: string;
  mpn?: string;
}

export interface BigCommerceProductState {
  id: string;
  name: string;
  /** `is_visible`: false maps to status "draft". */
  visible: boolean;
  dateModified: Date;
  variants: BigCommerceVariantState[];
  /** Feed attributes: `description` (HTML), `custom_url.url`, the thumbnail image, `condition`, the brand's name (from `brand_id`). */
  description?: string;
  customUrl?: string;
  imageUrl?: string;
  condition?: string;
  brand?: string;
}

export interface BigCommerceInventoryState {
  variantId: string;
  sku?: string;
  locationId: string;
  /** `total_inventory_onhand`: physical units at the location. */
  onHand: number;
}

export interface BigCommerceOrderState {
  id: string;
  status: string;
  /** The cart the order came from: what reservations are keyed by. */
  cartId?: string;
  customerId?: string;
  currency?: string;
  totalIncTax?: string;
  paymentStatus?: string;
  dateModified: Date;
  lineItems: Array<{ id: string; variantId?: string; sku?: string; quantity: number }>;
}

export interface BigCommerceRefundState {
  id: string;
  orderId: string;
  createdAt: Date;
  items: Array<{ lineItemId: string; quantity: number }>;
}

export interface BigCommerceReader {
  /** null when the product no longer exists (deleted since the event). */
  getProduct(storeHash: string, productId: string): Promise<BigCommerceProductState | null>;
  /** Levels at every location, for the given variants or all variants of the product. */
  getInventoryLevels(storeHash: string, query: { productId?: string; variantIds?: string[] }): Promise<BigCommerceInventoryState[]>;
  getOrder(storeHash: string, orderId: string): Promise<BigCommerceOrderState | null>;
  getRefunds(storeHash: string, orderId: string): Promise<BigCommerceRefundState[]>;
}
