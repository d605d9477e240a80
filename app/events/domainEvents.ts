import type { ProductFeedAttributes } from "../catalog/feedAttributes";
// The domain events every platform webhook is normalised into. Consumers and subscribers only
// ever see these: adding a platform means adding a normaliser, not touching the consumers.
// Every event carries the shop it belongs to and the time the change happened at the source
// (X-Shopify-Triggered-At / the payload's updated_at / BigCommerce's created_at), which is what
// keeps per-entity state moving forward whatever the arrival order.

interface EventBase {
  shopId: string;
  occurredAt: Date;
}

/** Stock of one item at one location. Shopify's `available` is turned into on hand by the consumer (available + committed). */
export interface InventoryLevelChanged extends EventBase {
  type: "InventoryLevelChanged";
  /** Shopify: inventory item id; BigCommerce: variant id (both are what `variant.inventory_item_external_id` holds). */
  inventoryItemExternalId: string;
  locationExternalId: string;
  /** Units the platform says are available to sell (Shopify `available`). Omitted when `onHand` is given. */
  available?: number;
  /** Physical units, when the platform reports them directly (BigCommerce `total_inventory_onhand`). */
  onHand?: number;
  /** The level was disconnected from the location: it goes to zero rather than disappearing (forward-only). */
  disconnected?: boolean;
  sku?: string;
}

/** An inventory item's own attributes (SKU, tracking) changed. */
export interface InventoryItemChanged extends EventBase {
  type: "InventoryItemChanged";
  inventoryItemExternalId: string;
  sku?: string;
  tracked?: boolean;
}

export interface ProductVariantState {
  externalId: string;
  inventoryItemExternalId?: string;
  sku: string;
  title: string;
  /** Feed identifiers (Shopify barcode / BigCommerce gtin or upc; MPN): undefined = the platform did not say. */
  gtin?: string;
  mpn?: string;
}

export interface ProductChanged extends EventBase {
  type: "ProductChanged";
  productExternalId: string;
  /** Absent when `deleted`. */
  title?: string;
  status?: string;
  deleted?: boolean;
  variants: ProductVariantState[];
  /** Absent: the event does not carry them (the stored ones stay). */
  attributes?: ProductFeedAttributes;
}

export interface VariantPriceChanged extends EventBase {
  type: "VariantPriceChanged";
  productExternalId: string;
  variantExternalId: string;
  /** Decimal string, as the platforms send it. */
  price: string;
  /** The regular price when `price` is a sale (Shopify compare_at_price); null: no sale; undefined: not said. */
  compareAtPrice?: string | null;
}

export interface OrderLineItem {
  lineItemExternalId?: string;
  variantExternalId?: string;
  sku?: string;
  quantity: number;
  locationExternalId?: string;
}

/** An order was placed. Only ids, tokens, line items and totals: never addresses, phones, emails or card data. */
export interface OrderCreated extends EventBase {
  type: "OrderCreated";
  orderExternalId: string;
  /** Cart token (Shopify `cart_token`, BigCommerce cart id): what reservations are keyed by. */
  cartToken?: string;
  checkoutToken?: string;
  /** The platform's customer id, so compliance requests can find (and redact) the customer's orders. */
  customerExternalId?: string;
  currency?: string;
  totalPrice?: string;
  financialStatus?: string;
  lineItems: OrderLineItem[];
}

/** orders/updated and orders/paid: the order's status moved. */
export interface OrderUpdated extends EventBase {
  type: "OrderUpdated";
  orderExternalId: string;
  financialStatus?: string;
  fulfillmentStatus?: string;
  totalPrice?: string;
  lineItems?: OrderLineItem[];
}

export interface OrderCancelled extends EventBase {
  type: "OrderCancelled";
  orderExternalId: string;
  cartToken?: string;
  checkoutToken?: string;
  lineItems: OrderLineItem[];
}

export interface RefundCreated extends EventBase {
  type: "RefundCreated";
  refundExternalId: string;
  orderExternalId: string;
  lineItems: Array<OrderLineItem & { restock: boolean }>;
}

export interface LocationChanged extends EventBase {
  type: "LocationChanged";
  locationExternalId: string;
  name?: string;
  active: boolean;
  deleted?: boolean;
}

/** The merchant removed the app: all work for the shop stops, sessions go, data stays until shop/redact. */
export interface AppUninstalled extends EventBase {
  type: "AppUninstalled";
}

export interface ScopesUpdated extends EventBase {
  type: "ScopesUpdated";
  scopes: string[];
}

/** customers/data_request: report what Lockstep holds about this customer. */
export interface CustomerDataRequested extends EventBase {
  type: "CustomerDataRequested";
  requestExternalId?: string;
  customerExternalId?: string;
  orderExternalIds: string[];
}

/** customers/redact: delete what Lockstep holds about this customer. */
export interface CustomerRedactRequested extends EventBase {
  type: "CustomerRedactRequested";
  customerExternalId?: string;
  orderExternalIds: string[];
}

/** shop/redact (48 h after uninstall): delete the shop's data. */
export interface ShopRedactRequested extends EventBase {
  type: "ShopRedactRequested";
}

export type DomainEvent =
  | InventoryLevelChanged
  | InventoryItemChanged
  | ProductChanged
  | VariantPriceChanged
  | OrderCreated
  | OrderUpdated
  | OrderCancelled
  | RefundCreated
  | LocationChanged
  | AppUninstalled
  | ScopesUpdated
  | CustomerDataRequested
  | CustomerRedactRequested
  | ShopRedactRequested;

export type DomainEventType = DomainEvent["type"];

export type DomainEventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
