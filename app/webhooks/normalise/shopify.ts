import { LockstepError } from "../../config/errors";
import { identifierOf, metafieldsOf, plainText } from "../../catalog/feedAttributes";
import type { DomainEvent, OrderLineItem } from "../../events/domainEvents";
import { asArray, asObject, dateOf, idOf, isJsonObject, type JsonObject, numberOf, parsePlatformJson, stringOf } from "../json";

/** Every Shopify topic Lockstep subscribes to (shopify.app.toml declares the same list). */
export const SHOPIFY_TOPICS = [
  "inventory_levels/update",
  "inventory_levels/connect",
  "inventory_levels/disconnect",
  "inventory_items/update",
  "products/create",
  "products/update",
  "products/delete",
  "orders/create",
  "orders/updated",
  "orders/cancelled",
  "orders/paid",
  "refunds/create",
  "locations/create",
  "locations/update",
  "locations/delete",
  "app/uninstalled",
  "app/scopes_update",
  "customers/data_request",
  "customers/redact",
  "shop/redact",
] as const;

type GidKind = "InventoryItem" | "Location" | "Product" | "ProductVariant" | "Order" | "Customer" | "LineItem" | "Refund";

/** Webhooks carry REST ids; the catalog keeps Shopify's GraphQL ids (`gid://shopify/Location/1`), as the Admin API uses them. */
function gid(kind: GidKind, value: unknown): string | undefined {
  const id = idOf(value);
  if (id === undefined) return undefined;
  return id.startsWith("gid://") ? id : `gid://shopify/${kind}/${id}`;
}

export interface ShopifyRowInput {
  shopId: string;
  topic: string;
  payload: string;
  triggeredAt: Date | null;
  receivedAt: Date;
}

function lineItems(order: JsonObject): OrderLineItem[] {
  const orderLocation = gid("Location", order.location_id);
  return asArray(order.line_items).map((value) => {
    const line = asObject(value);
    return {
      lineItemExternalId: gid("LineItem", line.id),
      variantExternalId: gid("ProductVariant", line.variant_id),
      sku: stringOf(line.sku) || undefined,
      quantity: numberOf(line.quantity) ?? 0,
      locationExternalId: gid("Location", line.location_id) ?? orderLocation,
    };
  });
}

/**
 * Turns one stored Shopify delivery into domain events. `occurredAt` is the entity's own
 * `updated_at` when the payload has one (the version of the state it carries), else the
 * X-Shopify-Triggered-At header, else when the delivery arrived.
 */
export function normaliseShopifyDelivery(row: ShopifyRowInput): DomainEvent[] {
  const body = asObject(parsePlatformJson(row.payload));
  const fallback = row.triggeredAt ?? row.receivedAt;
  const at = (value: unknown) => dateOf(value) ?? fallback;
  const base = { shopId: row.shopId };
  const required = (value: string | undefined, field: string): string => {
    if (value === undefined) throw new LockstepError("unusable_payload", `${row.topic}: "${field}" is missing`);
    return value;
  };

  switch (row.topic) {
    case "inventory_levels/update":
    case "inventory_levels/connect": {
      const available = numberOf(body.available);
      return [
        {
          ...base,
          type: "InventoryLevelChanged",
          occurredAt: at(body.updated_at),
          inventoryItemExternalId: required(gid("InventoryItem", body.inventory_item_id), "inventory_item_id"),
          locationExternalId: required(gid("Location", body.location_id), "location_id"),
          // `available: null` means "not tracked": nothing to sell from it.
          available: available ?? 0,
        },
      ];
    }
    case "inventory_levels/disconnect":
      return [
        {
          ...base,
          type: "InventoryLevelChanged",
          occurredAt: at(body.updated_at),
          inventoryItemExternalId: required(gid("InventoryItem", body.inventory_item_id), "inventory_item_id"),
          locationExternalId: required(gid("Location", body.location_id), "location_id"),
          disconnected: true,
        },
      ];
    case "inventory_items/update":
      return [
        {
          ...base,
          type: "InventoryItemChanged",
          occurredAt: at(body.updated_at),
          inventoryItemExternalId: required(gid("InventoryItem", body.id), "id"),
          sku: stringOf(body.sku) || undefined,
          tracked: typeof body.tracked === "boolean" ? body.tracked : undefined,
        },
      ];
    case "products/create":
    case "products/update": {
      const productExternalId = required(gid("Product", body.id), "id");
      const occurredAt = at(body.updated_at);
      const variants = asArray(body.variants).map((value) => asObject(value));
      return [
        {
          ...base,
          type: "ProductChanged",
          occurredAt,
          productExternalId,
          title: stringOf(body.title) ?? "",
          status: stringOf(body.status) ?? "active",
          variants: variants.map((variant) => ({
            externalId: required(gid("ProductVariant", variant.id), "variants[].id"),
            inventoryItemExternalId: gid("InventoryItem", variant.inventory_item_id),
            sku: stringOf(variant.sku) ?? "",
            title: stringOf(variant.title) ?? "",
            gtin: identifierOf(stringOf(variant.barcode)),
          })),
          attributes: {
            description: plainText(stringOf(body.body_html)),
            urlPath: stringOf(body.handle) ? `/products/${stringOf(body.handle)}` : undefined,
            imageUrl: stringOf(asObject(body.image).src) ?? stringOf(asObject(asArray(body.images)[0]).src),
            brand: identifierOf(stringOf(body.vendor)),
            // Present only when the webhook subscription names metafield namespaces (the ones feed mappings read).
            metafields: metafieldsOf(body.metafields),
          },
        },
        ...variants
          .filter((variant) => stringOf(variant.price) !== undefined)
          .map((variant): DomainEvent => ({
            ...base,
            type: "VariantPriceChanged",
            occurredAt,
            productExternalId,
            variantExternalId: gid("ProductVariant", variant.id)!,
            price: stringOf(variant.price)!,
            compareAtPrice: "compare_at_price" in variant ? (stringOf(variant.compare_at_price) ?? null) : undefined,
          })),
      ];
    }
    case "products/delete":
      return [{ ...base, type: "ProductChanged", occurredAt: fallback, productExternalId: required(gid("Product", body.id), "id"), deleted: true, variants: [] }];
    case "orders/create":
      return [
        {
          ...base,
          type: "OrderCreated",
          occurredAt: at(body.updated_at ?? body.created_at),
          orderExternalId: required(gid("Order", body.id), "id"),
          cartToken: stringOf(body.cart_token) || undefined,
          checkoutToken: stringOf(body.checkout_token) || undefined,
          customerExternalId: gid("Customer", asObject(body.customer).id),
          currency: stringOf(body.currency),
          totalPrice: stringOf(body.total_price),
          financialStatus: stringOf(body.financial_status),
          lineItems: lineItems(body),
        },
      ];
    case "orders/updated":
    case "orders/paid":
      return [
        {
          ...base,
          type: "OrderUpdated",
          occurredAt: at(body.updated_at),
          orderExternalId: required(gid("Order", body.id), "id"),
          financialStatus: stringOf(body.financial_status),
          fulfillmentStatus: stringOf(body.fulfillment_status) ?? undefined,
          totalPrice: stringOf(body.total_price),
          lineItems: Array.isArray(body.line_items) ? lineItems(body) : undefined,
        },
      ];
    case "orders/cancelled":
      return [
        {
          ...base,
          type: "OrderCancelled",
          occurredAt: at(body.cancelled_at ?? body.updated_at),
          orderExternalId: required(gid("Order", body.id), "id"),
          cartToken: stringOf(body.cart_token) || undefined,
          checkoutToken: stringOf(body.checkout_token) || undefined,
          lineItems: lineItems(body),
        },
      ];
    case "refunds/create":
      return [
        {
          ...base,
          type: "RefundCreated",
          occurredAt: at(body.processed_at ?? body.created_at),
          refundExternalId: required(gid("Refund", body.id), "id"),
          orderExternalId: required(gid("Order", body.order_id), "order_id"),
          lineItems: asArray(body.refund_line_items).map((value) => {
            const refundLine = asObject(value);
            const line = asObject(refundLine.line_item);
            return {
              lineItemExternalId: gid("LineItem", refundLine.line_item_id) ?? gid("LineItem", line.id),
              variantExternalId: gid("ProductVariant", line.variant_id),
              sku: stringOf(line.sku) || undefined,
              quantity: numberOf(refundLine.quantity) ?? 0,
              locationExternalId: gid("Location", refundLine.location_id),
              restock: stringOf(refundLine.restock_type) !== undefined && refundLine.restock_type !== "no_restock",
            };
          }),
        },
      ];
    case "locations/create":
    case "locations/update":
      return [
        {
          ...base,
          type: "LocationChanged",
          occurredAt: at(body.updated_at),
          locationExternalId: required(gid("Location", body.id), "id"),
          name: stringOf(body.name),
          active: body.active !== false,
        },
      ];
    case "locations/delete":
      return [{ ...base, type: "LocationChanged", occurredAt: fallback, locationExternalId: required(gid("Location", body.id), "id"), active: false, deleted: true }];
    case "app/uninstalled":
      return [{ ...base, type: "AppUninstalled", occurredAt: fallback }];
    case "app/scopes_update":
      return [
        {
          ...base,
          type: "ScopesUpdated",
          occurredAt: at(body.updated_at),
          scopes: asArray(body.current).map((scope) => String(scope)),
        },
      ];
    case "customers/data_request":
      return [
        {
          ...base,
          type: "CustomerDataRequested",
          occurredAt: fallback,
          requestExternalId: idOf(asObject(body.data_request).id),
          customerExternalId: gid("Customer", asObject(body.customer).id),
          orderExternalIds: asArray(body.orders_requested).map((id) => gid("Order", id)).filter((id): id is string => id !== undefined),
        },
      ];
    case "customers/redact":
      return [
        {
          ...base,
          type: "CustomerRedactRequested",
          occurredAt: fallback,
          customerExternalId: gid("Customer", asObject(body.customer).id),
          orderExternalIds: asArray(body.orders_to_redact).map((id) => gid("Order", id)).filter((id): id is string => id !== undefined),
        },
      ];
    case "shop/redact":
      return [{ ...base, type: "ShopRedactRequested", occurredAt: fallback }];
    default:
      throw new LockstepError("unknown_topic", `Lockstep does not handle the Shopify topic "${row.topic}"`);
  }
}

const ORDER_FIELDS = ["id", "admin_graphql_api_id", "cart_token", "checkout_token", "created_at", "updated_at", "cancelled_at", "processed_at", "currency", "total_price", "financial_status", "fulfillment_status", "location_id", "order_id"];
const LINE_FIELDS = ["id", "variant_id", "product_id", "sku", "quantity", "location_id", "line_item_id", "restock_type"];

function pick(source: JsonObject, fields: readonly string[]): JsonObject {
  return Object.fromEntries(fields.filter((field) => field in source).map((field) => [field, source[field]]));
}

/**
 * What is stored of a delivery. Order, refund, customer and uninstall payloads carry emails, phones,
 * addresses and card details: only the ids, tokens, line items and totals the normaliser reads
 * are kept, so the inbox never holds personal data (compliance requests find almost nothing).
 */
export function minimiseShopifyPayload(topic: string, raw: string): string {
  const personal = topic.startsWith("orders/") || topic === "refunds/create" || topic === "app/uninstalled" || topic.startsWith("customers/");
  // Shopify only ever sends a JSON object: anything else, even correctly signed, is refused here, never stored.
  const body = personal ? parsePlatformJson(raw) : JSON.parse(raw);
  if (!isJsonObject(body)) throw new SyntaxError("not a JSON object");
  if (!personal) return raw;
  if (topic === "app/uninstalled") {
    // The shop's own contact details (owner email, phone, address) are not Lockstep's to keep either.
    return JSON.stringify(pick(body, ["id", "myshopify_domain", "updated_at"]));
  }
  if (topic.startsWith("customers/")) {
    return JSON.stringify({
      ...pick(body, ["shop_id", "shop_domain", "orders_requested", "orders_to_redact"]),
      customer: { id: idOf(asObject(body.customer).id) ?? null },
      ...(body.data_request !== undefined && { data_request: { id: idOf(asObject(body.data_request).id) ?? null } }),
    });
  }
  return JSON.stringify({
    ...pick(body, ORDER_FIELDS),
    ...(body.customer !== undefined && { customer: { id: idOf(asObject(body.customer).id) ?? null } }),
    ...(Array.isArray(body.line_items) && { line_items: body.line_items.map((line) => pick(asObject(line), LINE_FIELDS)) }),
    ...(Array.isArray(body.refund_line_items) && {
      refund_line_items: body.refund_line_items.map((value) => {
        const refundLine = asObject(value);
        return { ...pick(refundLine, LINE_FIELDS), line_item: pick(asObject(refundLine.line_item), LINE_FIELDS) };
      }),
    }),
  });
}
