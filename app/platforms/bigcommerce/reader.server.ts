import { identifierOf } from "../../catalog/feedAttributes";
import {
  type BigCommerceInventoryState,
  type BigCommerceOrderState,
  type BigCommerceProductState,
  type BigCommerceReader,
  type BigCommerceRefundState,
} from "./readBack";
import { type BigCommerceFeedFields, type BigCommerceProduct } from "./catalog.server";
import { type BigCommerceClient } from "./client.server";
import { getInventoryItems } from "./inventory.server";

interface OrderBody {
  id: number;
  status: string;
  cart_id?: string;
  customer_id?: number;
  currency_code?: string;
  total_inc_tax?: string;
  payment_status?: string;
  date_modified: string;
}

interface OrderProductBody {
  id: number;
  variant_id?: number;
  sku?: string;
  quantity: number;
}

interface RefundBody {
  id: number;
  order_id: number;
  created: string;
  items: Array<{ item_type: string; item_id: number; quantity?: number }>;
}

/**
 * The call-back half of BigCommerce's thin webhooks, through each store's throttled client:
 * webhook processing asks "what is product 167 now?" and gets the state, or null once deleted.
 */
export function createBigCommerceReader(clientFor: (storeHash: string) => BigCommerceClient | Promise<BigCommerceClient>): BigCommerceReader {
  return {
    async getProduct(storeHash, productId): Promise<BigCommerceProductState | null> {
      const body = await getOrNull<{ data: BigCommerceProduct & BigCommerceFeedFields }>(await clientFor(storeHash), `/v3/catalog/products/${productId}`, {
        include: "variants,images",
      });
      if (!body) return null;
      const product = body.data;
      // A product names its brand by id: one more read, only when it has one (a brand deleted meanwhile: none).
      const brand = product.brand_id ? await getOrNull<{ data: { name?: string } }>(await clientFor(storeHash), `/v3/catalog/brands/${product.brand_id}`) : null;
      return {
        id: String(product.id),
        name: product.name,
        visible: product.is_visible ?? true,
        dateModified: new Date(product.date_modified),
        variants: (product.variants ?? []).map((variant) => ({
          id: String(variant.id),
          sku: variant.sku,
          price: String(variant.price ?? variant.calculated_price ?? product.price),
          title: variant.sku,
          gtin: identifierOf(variant.gtin) ?? identifierOf(variant.upc) ?? identifierOf(product.gtin) ?? identifierOf(product.upc),
          mpn: identifierOf(variant.mpn) ?? identifierOf(product.mpn),
        })),
        description: product.description,
        customUrl: product.custom_url?.url,
        imageUrl: (product.images?.find((image) => image.is_thumbnail) ?? product.images?.[0])?.url_standard,
        condition: product.condition,
        brand: identifierOf(brand?.data.name),
      };
    },

    async getInventoryLevels(storeHash, query): Promise<BigCommerceInventoryState[]> {
      const items = await getInventoryItems(await clientFor(storeHash), {
        productIds: query.productId ? [Number(query.productId)] : undefined,
        variantIds: query.variantIds?.map(Number),
      });
      return items.flatMap((item) =>
        item.locations.map((location) => ({
          variantId: String(item.identity.variant_id),
          sku: item.identity.sku,
          locationId: String(location.location_id),
          onHand: location.total_inventory_onhand,
        })),
      );
    },

    async getOrder(storeHash, orderId): Promise<BigCommerceOrderState | null> {
      const client = await clientFor(storeHash);
      const order = await getOrNull<OrderBody>(client, `/v2/orders/${orderId}`);
      if (!order) return null;
      const products = (await getOrNull<OrderProductBody[]>(client, `/v2/orders/${orderId}/products`)) ?? [];
      return {
        id: String(order.id),
        status: order.status,
        cartId: order.cart_id || undefined,
        customerId: order.customer_id ? String(order.customer_id) : undefined,
        currency: order.currency_code,
        totalIncTax: order.total_inc_tax,
        paymentStatus: order.payment_status,
        dateModified: new Date(order.date_modified),
        lineItems: products.map((product) => ({
          id: String(product.id),
          variantId: product.variant_id ? String(product.variant_id) : undefined,
          sku: product.sku,
          quantity: product.quantity,
        })),
      };
    },

    async getRefunds(storeHash, orderId): Promise<BigCommerceRefundState[]> {
      const body = await getOrNull<{ data: RefundBody[] }>(await clientFor(storeHash), `/v3/orders/${orderId}/payment_actions/refunds`);
      return (body?.data ?? []).map((refund) => ({
        id: String(refund.id),
        orderId: String(refund.order_id),
        createdAt: new Date(refund.created),
        items: refund.items
          .filter((item) => item.item_type === "PRODUCT")
          .map((item) => ({ lineItemId: String(item.item_id), quantity: item.quantity ?? 0 })),
      }));
    },
  };
}

async function getOrNull<T>(client: BigCommerceClient, path: string, query?: Record<string, string>): Promise<T | null> {
  try {
    return (await client.request<T>("GET", path, { query })).body;
  } catch (error) {
    if ((error as { details?: { httpStatus?: number } }).details?.httpStatus === 404) return null;
    throw error;
  }
}
