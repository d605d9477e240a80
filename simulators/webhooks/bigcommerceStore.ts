// A BigCommerce store's state held in memory, read back by webhook processing through the
// BigCommerceReader interface: the call-back half of BigCommerce's thin webhooks, for tests and the demo.
import type {
  BigCommerceInventoryState,
  BigCommerceOrderState,
  BigCommerceProductState,
  BigCommerceReader,
  BigCommerceRefundState,
} from "../../app/platforms/bigcommerce/readBack";

export class SimulatedBigCommerceStore implements BigCommerceReader {
  readonly products = new Map<string, BigCommerceProductState>();
  readonly inventory: BigCommerceInventoryState[] = [];
  readonly orders = new Map<string, BigCommerceOrderState>();
  readonly refunds = new Map<string, BigCommerceRefundState[]>();
  /** Calls made, so tests can see the read-back happened. */
  readonly calls: string[] = [];
  /** Makes the next N calls fail like a 503 from the API. */
  failNext = 0;

  private maybeFail(call: string): void {
    this.calls.push(call);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error(`simulated BigCommerce outage on ${call}`);
    }
  }

  setLevel(variantId: string, locationId: string, onHand: number, sku?: string): void {
    const existing = this.inventory.find((level) => level.variantId === variantId && level.locationId === locationId);
    if (existing) existing.onHand = onHand;
    else this.inventory.push({ variantId, locationId, onHand, sku });
  }

  async getProduct(_storeHash: string, productId: string): Promise<BigCommerceProductState | null> {
    this.maybeFail(`getProduct ${productId}`);
    return this.products.get(productId) ?? null;
  }

  async getInventoryLevels(_storeHash: string, query: { productId?: string; variantIds?: string[] }): Promise<BigCommerceInventoryState[]> {
    this.maybeFail(`getInventoryLevels ${JSON.stringify(query)}`);
    const variants = query.variantIds ?? this.products.get(query.productId ?? "")?.variants.map((variant) => variant.id) ?? [];
    return this.inventory.filter((level) => variants.includes(level.variantId)).map((level) => ({ ...level }));
  }

  async getOrder(_storeHash: string, orderId: string): Promise<BigCommerceOrderState | null> {
    this.maybeFail(`getOrder ${orderId}`);
    return this.orders.get(orderId) ?? null;
  }

  async getRefunds(_storeHash: string, orderId: string): Promise<BigCommerceRefundState[]> {
    this.maybeFail(`getRefunds ${orderId}`);
    return this.refunds.get(orderId) ?? [];
  }
}
