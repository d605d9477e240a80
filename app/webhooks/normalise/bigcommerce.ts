import { LockstepError } from "../../config/errors";
import { storeHashOf } from "../../shops/platformIdentity";
import type { BigCommerceOrderState, BigCommerceReader } from "../../platforms/bigcommerce/readBack";
import { conditionOf, plainText } from "../../catalog/feedAttributes";
import type { DomainEvent, OrderLineItem } from "../../events/domainEvents";
import { asObject, dateOf, idOf, parsePlatformJson } from "../json";

export interface BigCommerceRowInput {
  shopId: string;
  /** `stores/{hash}` */
  shopDomain: string;
  topic: string;
  payload: string;
}

const CANCELLED_STATUSES = new Set(["Cancelled", "Declined", "Refunded"]);

function orderLines(order: BigCommerceOrderState): OrderLineItem[] {
  return order.lineItems.map((line) => ({ lineItemExternalId: line.id, variantExternalId: line.variantId, sku: line.sku, quantity: line.quantity }));
}

/**
 * Turns one stored BigCommerce delivery into domain events, reading the new state back from the
 * API. The events are stamped with the callback's `created_at`: the state read is at least that
 * new, so an old callback processed late can never roll newer state back.
 */
export async function normaliseBigCommerceDelivery(row: BigCommerceRowInput, reader: BigCommerceReader | undefined): Promise<DomainEvent[]> {
  const body = asObject(parsePlatformJson(row.payload));
  const data = asObject(body.data);
  const occurredAt = dateOf(body.created_at) ?? new Date();
  const storeHash = storeHashOf({ domain: row.shopDomain });
  const base = { shopId: row.shopId, occurredAt };
  const id = idOf(data.id);
  const api = (): BigCommerceReader => {
    if (!reader) throw new LockstepError("bigcommerce_reader_missing", "No BigCommerce API client is configured to read the new state back");
    return reader;
  };
  const requireId = (): string => {
    if (!id) throw new LockstepError("unusable_payload", `${row.topic}: data.id is missing`);
    return id;
  };

  switch (row.topic) {
    case "store/product/created":
    case "store/product/updated":
    case "store/sku/created":
    case "store/sku/updated": {
      const productId = row.topic.startsWith("store/sku/") ? idOf(asObject(data.sku).product_id) ?? idOf(asObject(data.inventory).product_id) : requireId();
      if (!productId) throw new LockstepError("unusable_payload", `${row.topic}: the product id is missing`);
      const product = await api().getProduct(storeHash, productId);
      if (!product) return [{ ...base, type: "ProductChanged", productExternalId: productId, deleted: true, variants: [] }];
      return [
        {
          ...base,
          type: "ProductChanged",
          productExternalId: product.id,
          title: product.name,
          status: product.visible ? "active" : "draft",
          // BigCommerce has no separate inventory item: the variant id is the inventory item.
          variants: product.variants.map((variant) => ({ externalId: variant.id, inventoryItemExternalId: variant.id, sku: variant.sku, title: variant.title, gtin: variant.gtin, mpn: variant.mpn })),
          attributes: { description: plainText(product.description), urlPath: product.customUrl, imageUrl: product.imageUrl, condition: conditionOf(product.condition), brand: product.brand },
        },
        ...product.variants.map((variant): DomainEvent => ({ ...base, type: "VariantPriceChanged", productExternalId: product.id, variantExternalId: variant.id, price: variant.price })),
      ];
    }
    case "store/product/deleted":
      return [{ ...base, type: "ProductChanged", productExternalId: requireId(), deleted: true, variants: [] }];
    case "store/product/inventory/updated":
    case "store/product/inventory/order/updated":
    case "store/sku/inventory/updated":
    case "store/sku/inventory/order/updated": {
      const inventory = asObject(data.inventory);
      const variantId = idOf(inventory.variant_id) ?? (row.topic.startsWith("store/sku/") ? requireId() : undefined);
      const levels = await api().getInventoryLevels(storeHash, variantId ? { variantIds: [variantId] } : { productId: idOf(inventory.product_id) ?? requireId() });
      return levels.map((level) => ({
        ...base,
        type: "InventoryLevelChanged",
        inventoryItemExternalId: level.variantId,
        locationExternalId: level.locationId,
        onHand: level.onHand,
        sku: level.sku,
      }));
    }
    case "store/order/created":
    case "store/order/updated":
    case "store/order/statusUpdated": {
      const order = await api().getOrder(storeHash, requireId());
      if (!order) throw new LockstepError("order_not_found", `BigCommerce order ${requireId()} was not found`);
      if (CANCELLED_STATUSES.has(order.status) && row.topic !== "store/order/created") {
        return [{ ...base, type: "OrderCancelled", orderExternalId: order.id, cartToken: order.cartId, lineItems: orderLines(order) }];
      }
      if (row.topic === "store/order/created") {
        return [
          {
            ...base,
            type: "OrderCreated",
            orderExternalId: order.id,
            cartToken: order.cartId,
            customerExternalId: order.customerId,
            currency: order.currency,
            totalPrice: order.totalIncTax,
            financialStatus: order.paymentStatus,
            lineItems: orderLines(order),
          },
        ];
      }
      return [{ ...base, type: "OrderUpdated", orderExternalId: order.id, financialStatus: order.paymentStatus, fulfillmentStatus: order.status, totalPrice: order.totalIncTax }];
    }
    case "store/order/refund/created": {
      const orderId = requireId();
      const refundId = idOf(asObject(data.refund).refund_id);
      const [refunds, order] = await Promise.all([api().getRefunds(storeHash, orderId), api().getOrder(storeHash, orderId)]);
      const lines = new Map(order?.lineItems.map((line) => [line.id, line]));
      return refunds
        .filter((refund) => refundId === undefined || refund.id === refundId)
        .map((refund) => ({
          ...base,
          type: "RefundCreated",
          refundExternalId: refund.id,
          orderExternalId: orderId,
          lineItems: refund.items.map((item) => ({
            lineItemExternalId: item.lineItemId,
            variantExternalId: lines.get(item.lineItemId)?.variantId,
            sku: lines.get(item.lineItemId)?.sku,
            quantity: item.quantity,
            restock: true,
          })),
        }));
    }
    case "store/app/uninstalled":
      return [{ ...base, type: "AppUninstalled" }];
    default:
      throw new LockstepError("unknown_topic", `Lockstep does not handle the BigCommerce scope "${row.topic}"`);
  }
}
