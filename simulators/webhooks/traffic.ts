// A stream of Shopify inventory deliveries the way Shopify's delivery behaves on a bad day:
// duplicates (same delivery again, or the same event in a new delivery), reordering, delays, and
// retries on failure. The demo drives its shop with it; tests check nothing is lost or doubled.
import { randomUUID } from "node:crypto";
import { deliverWithRetries, shopifyPayload, signShopifyDelivery, type SignedDelivery } from "./shopify";

export interface TrafficOptions {
  /** The webhook endpoint, e.g. http://127.0.0.1:3000/webhooks/shopify */
  url: string;
  secret: string;
  shopDomain: string;
  /** Inventory item ids and location ids to change. */
  inventoryItemIds: Array<string | number>;
  locationIds: Array<string | number>;
  events: number;
  /** Deliveries started per second. */
  ratePerSecond: number;
  /** Share of events delivered twice with the same webhook id (a retry after a lost answer). */
  duplicateRate?: number;
  /** Share of events delivered again as a new delivery of the same event (same event id). */
  redeliveryRate?: number;
  /** Share of deliveries held back and sent later than newer ones. */
  reorderRate?: number;
  maxDelayMs?: number;
  /** Compresses Shopify's retry schedule (hours) when the endpoint fails. */
  retryTimeScale?: number;
  random?: () => number;
}

export interface TrafficResult {
  sent: number;
  duplicatesSent: number;
  /** The newest `available` per `item@location`: what the store must end up with. */
  expected: Map<string, number>;
  statuses: Record<string, number>;
}

export async function runShopifyInventoryTraffic(options: TrafficOptions): Promise<TrafficResult> {
  const random = options.random ?? Math.random;
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const expected = new Map<string, number>();
  const statuses: Record<string, number> = {};
  const pending: Array<Promise<void>> = [];
  let duplicatesSent = 0;
  let sent = 0;
  const start = Date.now();
  const baseTime = Date.now();

  const send = (delivery: SignedDelivery, delayMs: number) => {
    sent += 1;
    pending.push(
      new Promise<void>((resolve) => setTimeout(resolve, delayMs))
        .then(() => deliverWithRetries(options.url, delivery, { timeScale: options.retryTimeScale ?? 0.0001 }))
        .then((result) => {
          statuses[result.status] = (statuses[result.status] ?? 0) + 1;
        }),
    );
  };

  for (let i = 0; i < options.events; i++) {
    const due = start + (i * 1000) / options.ratePerSecond;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const item = pick(options.inventoryItemIds);
    const location = pick(options.locationIds);
    const available = Math.floor(random() * 100);
    // Source time strictly increases with i, whatever order the deliveries arrive in.
    const updatedAt = new Date(baseTime + i * 10).toISOString();
    expected.set(`${item}@${location}`, available);
    const eventId = randomUUID();
    const delivery = signShopifyDelivery({
      secret: options.secret,
      shopDomain: options.shopDomain,
      topic: "inventory_levels/update",
      eventId,
      triggeredAt: new Date(updatedAt),
      payload: shopifyPayload("inventory_levels/update", { inventory_item_id: item, location_id: location, available, updated_at: updatedAt }),
    });
    const delay = random() < (options.reorderRate ?? 0) ? Math.floor(random() * (options.maxDelayMs ?? 200)) : 0;
    send(delivery, delay);
    if (random() < (options.duplicateRate ?? 0)) {
      duplicatesSent += 1;
      send(delivery, delay + Math.floor(random() * (options.maxDelayMs ?? 200)));
    }
    if (random() < (options.redeliveryRate ?? 0)) {
      duplicatesSent += 1;
      const again = signShopifyDelivery({ secret: options.secret, shopDomain: options.shopDomain, topic: "inventory_levels/update", eventId, triggeredAt: new Date(updatedAt), payload: delivery.body });
      send(again, delay + Math.floor(random() * (options.maxDelayMs ?? 200)));
    }
  }
  await Promise.all(pending);
  return { sent, duplicatesSent, expected, statuses };
}
