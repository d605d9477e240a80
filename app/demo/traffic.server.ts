import { randomUUID } from "node:crypto";
import type { StopWork } from "../background.server";
import { log } from "../observability/log.server";
import { CHECKOUT_FUNCTION_HANDLE } from "../checkout/checkoutClock.server";
import { type FlashSaleDriver, type FlashSaleResult, runFlashSale } from "../reservations/flashSale";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import type { ShopifyShop } from "../../simulators/shopify/store";
import type { SimulatedChange } from "../../simulators/changes";
import { deliverWithRetries, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { DEMO_BRAND, DEMO_LOCATIONS, DEMO_PRODUCTS, DEMO_SHOP_DOMAIN, demoImageUrl, demoInventoryItemId } from "./seed.server";

// The demo's simulated world: a Shopify store whose stock moves (till sales, restocks), whose
// changes reach Lockstep as signed webhooks (with Shopify's duplicates and redeliveries), and
// flash sales where shoppers race for the few units of hot items through the storefront API.

/** The demo shop's Admin API token: Lockstep's outbound calls (metafields) go to the simulated store with it. */
export const DEMO_ADMIN_ACCESS_TOKEN = "shpat_demo";

/**
 * The simulated Shopify store of the demo: the seed's products, ids and stock, a Standard plan's
 * cost bucket, and the checkout Function deployed. Started before Lockstep so that Lockstep's
 * Admin API calls can be pointed at it (SHOPIFY_ADMIN_API_BASE_URL).
 */
export function startDemoStore(): Promise<ShopifySimulator> {
  return startShopifySimulator({
    shops: [
      {
        domain: DEMO_SHOP_DOMAIN,
        accessToken: DEMO_ADMIN_ACCESS_TOKEN,
        deployedFunctions: [CHECKOUT_FUNCTION_HANDLE],
        catalog: {
          locations: DEMO_LOCATIONS,
          products: DEMO_PRODUCTS.map((product) => ({
            id: product.id,
            title: product.title,
            bodyHtml: `<p>${product.description}</p>`,
            vendor: DEMO_BRAND,
            imageSrc: demoImageUrl(product.title),
            variants: product.variants.map((variant) => ({
              id: variant.id,
              inventoryItemId: demoInventoryItemId(variant.id),
              sku: variant.sku,
              title: variant.title,
              price: variant.price,
              barcode: variant.gtin,
              available: variant.stock,
            })),
          })),
        },
      },
    ],
  });
}

export interface DemoTrafficOptions {
  simulator: ShopifySimulator;
  /** Lockstep's own address, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** Signs the webhooks (the app's SHOPIFY_API_SECRET). */
  webhookSecret: string;
  /** The demo shop's API token for /api/v1. */
  apiToken: string;
  storeActivityEveryMs?: number;
  flashSaleEveryMs?: number;
  /** The first flash sale starts this soon, so a newcomer sees one without waiting. */
  firstFlashSaleAfterMs?: number;
  random?: () => number;
  onFlashSale?: (result: FlashSaleResult) => void;
}

export const HOT_SKUS = ["LAMP-400", "SHOE-TR-44", "PACK-40-ORG", "TENT-UL-2P", "DOWN-LTD-M", "DOWN-LTD-L"];

// Shopify sends some deliveries twice: the same delivery again after a lost answer, or the same
// event as a new delivery. Lockstep must count each once.
const DUPLICATE_RATE = 0.05;
const REDELIVERY_RATE = 0.03;

/** Brings the demo store to life; `stop` ends the traffic (the store itself is closed by its owner). */
export function startDemoTraffic(options: DemoTrafficOptions): { stop: StopWork } {
  const random = options.random ?? Math.random;
  const { simulator } = options;
  const shop = simulator.shop(DEMO_SHOP_DOMAIN);
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    // A delivery or a sale that fails (the app stopping under it) is the demo's loss, never the process's end.
    void work.catch((error: unknown) => log.warn("demo traffic failed", { error })).finally(() => inFlight.delete(work));
  };

  const deliver = (change: SimulatedChange) => {
    const eventId = randomUUID();
    const delivery = () =>
      signShopifyDelivery({ secret: options.webhookSecret, shopDomain: change.shop, topic: change.kind, payload: change.payload, eventId, triggeredAt: new Date(change.occurredAt) });
    const url = `${options.baseUrl}/webhooks/shopify`;
    const first = delivery();
    const sends = [deliverWithRetries(url, first, { timeScale: 0.001 })];
    if (random() < DUPLICATE_RATE) sends.push(deliverWithRetries(url, first, { timeScale: 0.001 }));
    if (random() < REDELIVERY_RATE) sends.push(deliverWithRetries(url, delivery(), { timeScale: 0.001 }));
    track(Promise.all(sends));
  };
  const unsubscribe = simulator.onChange((change) => {
    if (change.shop === DEMO_SHOP_DOMAIN) deliver(change);
  });

  const storeActivity = setInterval(() => moveStock(shop, random), options.storeActivityEveryMs ?? 4_000);
  let saleRunning = false;
  const startFlashSale = () => {
    if (saleRunning) return;
    saleRunning = true;
    const sale = flashSale(shop, options, random).finally(() => {
      saleRunning = false;
    });
    track(sale);
  };
  const firstFlashSale = setTimeout(startFlashSale, options.firstFlashSaleAfterMs ?? 15_000);
  const flashSales = setInterval(startFlashSale, options.flashSaleEveryMs ?? 45_000);

  return {
    async stop() {
      clearInterval(storeActivity);
      clearInterval(flashSales);
      clearTimeout(firstFlashSale);
      unsubscribe();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** A till sale or a restock at one location: the store's own life, independent of Lockstep. */
export function moveStock(shop: ShopifyShop, random: () => number): void {
  const variants = [...shop.variants.values()];
  const variant = variants[Math.floor(random() * variants.length)]!;
  const location = DEMO_LOCATIONS[Math.floor(random() * DEMO_LOCATIONS.length)]!;
  const level = shop.level(variant.inventoryItemId, location.id);
  if (!level) return;
  const restock = random() < 0.3 || level.quantities.available === 0;
  const delta = restock ? 3 + Math.floor(random() * 10) : -Math.min(level.quantities.available, 1 + Math.floor(random() * 2));
  if (delta === 0) return;
  shop.applyDelta(level, "available", delta);
  shop.emitLevelChanged(level);
}

/**
 * Shoppers race for the hot items through /api/v1/reservations. Buyers commit and the store
 * records their order (so the platform's stock follows); of those who give up, some cancel
 * (payment failed: released at once) and the rest just leave (the hold expires on its own).
 */
async function flashSale(shop: ShopifyShop, options: DemoTrafficOptions, random: () => number): Promise<void> {
  const headers = { authorization: `Bearer ${options.apiToken}`, "content-type": "application/json" };
  const cartLines = new Map<string, { sku: string; quantity: number }[]>();
  const driver: FlashSaleDriver = {
    async reserve(cart) {
      const response = await fetch(`${options.baseUrl}/api/v1/reservations`, { method: "POST", headers, body: JSON.stringify({ ...cart, ttlSeconds: 90 }) });
      const body = (await response.json()) as { id?: string; error?: { shortages?: { sku: string; requested: number; available: number }[] } };
      if (response.status === 201 || response.status === 200) {
        cartLines.set(body.id!, cart.lines);
        return { held: true, id: body.id! };
      }
      return { held: false, shortages: body.error?.shortages ?? [] };
    },
    async release(id) {
      if (random() < 0.4) await fetch(`${options.baseUrl}/api/v1/reservations/${id}/release`, { method: "POST", headers, body: "{}" }).then((r) => r.arrayBuffer());
    },
    async commit(id) {
      const lines = cartLines.get(id)!;
      const orderId = `demo-${randomUUID()}`;
      const response = await fetch(`${options.baseUrl}/api/v1/reservations/${id}/commit`, { method: "POST", headers, body: JSON.stringify({ orderId }) });
      await response.arrayBuffer();
      if (response.ok) shop.placeOrder(lines.map((line) => ({ sku: line.sku, quantity: line.quantity, locationId: DEMO_LOCATIONS[0]!.id })));
    },
  };
  try {
    const result = await runFlashSale({ driver, skus: HOT_SKUS, shoppers: 40, random, buyRate: 0.35 });
    log.info("demo flash sale", { ...result });
    options.onFlashSale?.(result);
  } catch (error) {
    log.warn("demo flash sale failed", { error });
  }
}
