import { getProduct } from "../platforms/bigcommerce/catalog";
import type { BigCommerceClient } from "../platforms/bigcommerce/client";
import { getInventoryItems } from "../platforms/bigcommerce/inventory";
import type { BigCommerceInventoryState, BigCommerceOrderState, BigCommerceReader, BigCommerceRefundState } from "./bigcommerceReader";

interface V2Order {
  id: number;
  status: string;
  cart_id?: string;
  customer_id?: number;
  currency_code?: string;
  total_inc_tax?: string;
  payment_status?: string;
  date_modified?: string;
}

interface V2OrderProduct {
  id: number;
  variant_id?: number;
  sku?: string;
  quantity: number;
}

interface V3Refund {
  id: number;
  order_id: number;
  created: string;
  items: Array<{ item_type: string; item_id: number; quantity?: number }>;
}

function isNotFound(error: unknown): boolean {
  return (error as { details?: { httpStatus?: number } }).details?.httpStatus === 404;
}

/**
 * The webhook read-back over the platform module's throttled REST client (one client per store,
 * sharing the store's quota with every other call Lockstep makes to it).
 */
export function createBigCommerceApiReader(clientFor: (storeHash: string) => BigCommerceClient | Promise<BigCommerceClient>): BigCommerceReader {
  return {
    async getProduct(storeHash, productId) {
      const product = await getProduct(await clientFor(storeHash), Number(productId));
      if (!product) return null;
      const visible = (product as { is_visible?: boolean }).is_visible !== false;
      return {
        id: String(product.id),
        name: product.name,
        visible,
        dateModified: new Date(product.date_modified),
        variants: (product.variants ?? []).map((variant) => ({
          id: String(variant.id),
          sku: variant.sku,
          price: String(variant.price ?? product.price),
          title: variant.sku,
        })),
      };
    },

    async getInventoryLevels(storeHash, query) {
      const items = await getInventoryItems(
        await clientFor(storeHash),
        query.variantIds ? { variantIds: query.variantIds.map(Number) } : { productIds: [Number(query.productId)] },
      );
      return items.flatMap((item): BigCommerceInventoryState[] =>
        item.identity.variant_id === undefined
          ? []
          : item.locations.map((location) => ({
              variantId: String(item.identity.variant_id),
              sku: item.identity.sku,
              locationId: String(location.location_id),
              onHand: location.total_inventory_onhand,
            })),
      );
    },

    async getOrder(storeHash, orderId): Promise<BigCommerceOrderState | null> {
      const client = await clientFor(storeHash);
      try {
        const [{ body: order }, { body: products }] = await Promise.all([
          client.request<V2Order>("GET", `/v2/orders/${orderId}`),
          client.request<V2OrderProduct[]>("GET", `/v2/orders/${orderId}/products`),
        ]);
        return {
          id: String(order.id),
          status: order.status,
          cartId: order.cart_id || undefined,
          customerId: order.customer_id ? String(order.customer_id) : undefined,
          currency: order.currency_code,
          totalIncTax: order.total_inc_tax,
          paymentStatus: order.payment_status,
          dateModified: order.date_modified ? new Date(order.date_modified) : new Date(),
          lineItems: (products ?? []).map((line) => ({ id: String(line.id), variantId: line.variant_id ? String(line.variant_id) : undefined, sku: line.sku, quantity: line.quantity })),
        };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    async getRefunds(storeHash, orderId): Promise<BigCommerceRefundState[]> {
      const { body } = await (await clientFor(storeHash)).request<{ data: V3Refund[] }>("GET", `/v3/orders/${orderId}/payment_actions/refunds`);
      return (body?.data ?? []).map((refund) => ({
        id: String(refund.id),
        orderId: String(refund.order_id),
        createdAt: new Date(refund.created),
        items: refund.items.filter((item) => item.item_type === "PRODUCT").map((item) => ({ lineItemId: String(item.item_id), quantity: item.quantity ?? 0 })),
      }));
    },
  };
}
