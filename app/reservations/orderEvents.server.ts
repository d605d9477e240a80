import type { Availability } from "../availability/availability.server";
import type { Database } from "../db/database.server";
import { listItemSkus } from "../inventory/sql/listItemSkus";
import { type ApiTokenChanges, forgetRememberedTokens } from "../shops/shops.server";
import type { Subscribers } from "../webhooks/subscribers.server";
import type { Reservations } from "./reservations.server";
import { orderHoldKeys } from "./shopperHolds.server";

/**
 * Keeps holds and the availability cache in step with the platform's events, as the webhook
 * pipeline applies them: an order commits its cart's hold, a cancelled order releases what is
 * still held, a stock change drops the cached availability of the item (and its bundles), an
 * uninstall stops the shop's remembered API token.
 * Returns the function that unsubscribes. Handlers are idempotent: delivery is at least once.
 */
export function subscribeToPlatformEvents(
  subscribers: Subscribers,
  deps: { db: Database; reservations: Reservations; availability: Availability; apiTokens: ApiTokenChanges },
): () => void {
  const unsubscribe = [
    subscribers.onApplied("OrderCreated", async (event) => {
      await deps.reservations.commitForOrder(event.shopId, {
        orderExternalId: event.orderExternalId,
        orderedAt: event.occurredAt,
        keys: orderHoldKeys(event),
      });
    }),
    subscribers.onApplied("OrderCancelled", async (event) => {
      await deps.reservations.releaseForOrder(event.shopId, {
        orderExternalId: event.orderExternalId,
        keys: orderHoldKeys(event),
      });
    }),
    // A worker's batch of stock changes: one SKU lookup and one invalidation per shop.
    subscribers.onAppliedTogether("InventoryLevelChanged", (events) => dropCachedItems(deps, events)),
    subscribers.onAppliedTogether("InventoryItemChanged", (events) => dropCachedItems(deps, events)),
    // An uninstalled shop's API token stops working at once in the process that applied it.
    subscribers.onApplied("AppUninstalled", (event) => forgetRememberedTokens(deps.apiTokens, event.shopId)),
    // Products, variants and locations come and go less often: drop the shop's whole cache.
    subscribers.onApplied("ProductChanged", (event) => deps.availability.invalidate(event.shopId, null)),
    subscribers.onApplied("LocationChanged", (event) => deps.availability.invalidate(event.shopId, null)),
  ];
  return () => {
    for (const stop of unsubscribe) stop();
  };
}

async function dropCachedItems(deps: { db: Database; availability: Availability }, events: { shopId: string; inventoryItemExternalId: string }[]): Promise<void> {
  const itemsByShop = new Map<string, Set<string>>();
  for (const event of events) {
    const items = itemsByShop.get(event.shopId) ?? new Set<string>();
    itemsByShop.set(event.shopId, items);
    items.add(event.inventoryItemExternalId);
  }
  for (const [shopId, items] of itemsByShop) {
    await deps.availability.invalidate(shopId, await listItemSkus(deps.db.sql, shopId, [...items]));
  }
}
