import { type ChangeSource, captureChanges, changesOfEvents } from "../batching/capture.server";
import { enqueueAppliedOrderEvents } from "../batching/orderEvents.server";
import { forgetShopSettings } from "../shops/sql/forgetShopSettings";
import { recordStorePrice } from "../prices/storeEdits.server";
import type { SqlRunner } from "../db/database.server";
import { skuOrPlaceholder } from "../catalog/sku";
import { advanceSourceVersion } from "../catalog/sql/advanceSourceVersion";
import { applyLevelReports, type LevelReportMode } from "../catalog/sql/applyLevelReports";
import { createPlaceholderVariant } from "../catalog/sql/createPlaceholderVariant";
import { findItemVariant } from "../catalog/sql/findItemVariant";
import { findReportedVariant } from "../catalog/sql/findReportedVariant";
import { releaseSkus } from "../catalog/sql/releaseSkus";
import { setProductFeedAttributes } from "../catalog/sql/setProductFeedAttributes";
import { setVariantPrice } from "../catalog/sql/setVariantPrice";
import { setVariantSku } from "../catalog/sql/setVariantSku";
import { upsertLocation } from "../catalog/sql/upsertLocation";
import { upsertProduct } from "../catalog/sql/upsertProduct";
import { variantTakesChange } from "../catalog/sql/variantTakesChange";
import { writeReportedVariant } from "../catalog/sql/writeReportedVariant";
import { isShopInstalled } from "../shops/sql/isShopInstalled";
import { markShopUninstalled } from "../shops/sql/markShopUninstalled";
import { setShopScopes } from "../shops/sql/setShopScopes";
import { addRefund } from "./sql/addRefund";
import { type CustomerSelection, deleteCustomerOrders, readCustomerOrders } from "./sql/customerOrders";
import { recordComplianceRequest } from "./sql/recordComplianceRequest";
import { redactShopData } from "./sql/redactShopData";
import { upsertOrder } from "./sql/upsertOrder";
import type {
  CustomerDataRequested,
  CustomerRedactRequested,
  DomainEvent,
  InventoryItemChanged,
  InventoryLevelChanged,
  LocationChanged,
  ProductChanged,
  RefundCreated,
  VariantPriceChanged,
} from "../events/domainEvents";

// Idempotent consumers: each applies one event inside the worker's transaction. State per entity
// only moves forward: every UPDATE carries `source_updated_at <= $occurredAt` in its WHERE, so an
// older event arriving late changes nothing, and the same event applied twice leaves the same state.

/**
 * The variant an inventory item belongs to; an item Lockstep has not seen yet gets a placeholder
 * product and variant (no source time, so the first product event fills them in).
 */
async function ensureVariantForInventoryItem(tx: SqlRunner, shopId: string, inventoryItemExternalId: string, sku?: string): Promise<string> {
  const existing = await findItemVariant(tx, shopId, inventoryItemExternalId);
  if (existing) return existing;
  const placeholder = `inventory-item:${inventoryItemExternalId}`;
  const placeholderSku = skuOrPlaceholder(sku, placeholder);
  await releaseSkus(tx, shopId, [{ id: null, sku: placeholderSku }]);
  return createPlaceholderVariant(tx, shopId, { placeholder, title: `Unknown item ${inventoryItemExternalId}`, inventoryItemExternalId, sku: placeholderSku });
}

/**
 * Applies many level changes in one statement. Within the list only the newest change per item and
 * location matters (the older ones would be overwritten anyway), so each level is written once.
 * Shopify reports `available`; on_hand is physical units = available + committed (committed kept as
 * is). BigCommerce reports on hand directly. A disconnected level drops to zero but stays, as a tombstone.
 */
async function applyInventoryLevels(tx: SqlRunner, events: InventoryLevelChanged[]): Promise<void> {
  const byLevel = new Map<string, InventoryLevelChanged[]>();
  for (const event of events) {
    const key = `${event.shopId}|${event.inventoryItemExternalId}|${event.locationExternalId}`;
    const changes = byLevel.get(key);
    if (changes) changes.push(event);
    else byLevel.set(key, [event]);
  }
  const newest = new Map<string, InventoryLevelChanged>();
  const input = [...byLevel].map(([key, changes]) => {
    const ordered = changes.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
    const event = ordered[ordered.length - 1]!;
    newest.set(key, event);
    return {
      shop_id: event.shopId,
      item: event.inventoryItemExternalId,
      location: event.locationExternalId,
      mode: (event.disconnected ? "zero" : event.onHand !== undefined ? "on_hand" : "available") as LevelReportMode,
      quantity: quantityOf(event),
      at: event.occurredAt.toISOString(),
      // The older changes may hold an order's lowering that a later restock hides in the newest:
      // the first is compared with the stored level, the others with the change before them.
      first_quantity: ordered.length > 1 ? quantityOf(ordered[0]!) : null,
      first_at: ordered.length > 1 ? ordered[0]!.occurredAt.toISOString() : null,
      lowered_in_batch: loweredBetween(ordered)?.toISOString() ?? null,
    };
  });
  // One statement per kind of quantity (almost always one kind per batch), so the SQL stays plain.
  const upsert = async (rows: typeof input): Promise<Array<{ shop_id: string; item: string }>> => {
    const unknown: Array<{ shop_id: string; item: string }> = [];
    for (const mode of ["available", "on_hand", "zero"] as const) {
      const ofMode = rows.filter((row) => row.mode === mode);
      if (ofMode.length > 0) unknown.push(...(await applyLevelReports(tx, ofMode, mode)));
    }
    return unknown;
  };
  const unknown = await upsert(input);
  if (unknown.length === 0) return;
  // Items Lockstep has not seen yet get a placeholder variant, then their levels are written.
  const missing = new Set(unknown.map((row) => `${row.shop_id}|${row.item}`));
  for (const key of missing) {
    const event = [...newest.values()].find((candidate) => `${candidate.shopId}|${candidate.inventoryItemExternalId}` === key)!;
    await ensureVariantForInventoryItem(tx, event.shopId, event.inventoryItemExternalId, event.sku);
  }
  await upsert(input.filter((row) => missing.has(`${row.shop_id}|${row.item}`)));
}

function quantityOf(event: InventoryLevelChanged): number {
  return event.disconnected ? 0 : (event.onHand ?? event.available ?? 0);
}

/** The time of the newest change, in time order, that lowered the quantity the one before it reported. */
function loweredBetween(ordered: InventoryLevelChanged[]): Date | undefined {
  let lowered: Date | undefined;
  for (let i = 1; i < ordered.length; i++) {
    if (quantityOf(ordered[i]!) < quantityOf(ordered[i - 1]!)) lowered = ordered[i]!.occurredAt;
  }
  return lowered;
}

async function applyInventoryItem(tx: SqlRunner, event: InventoryItemChanged): Promise<void> {
  const variantId = await ensureVariantForInventoryItem(tx, event.shopId, event.inventoryItemExternalId, event.sku);
  if (!event.sku) return;
  if (!(await variantTakesChange(tx, variantId, event.occurredAt))) return;
  await releaseSkus(tx, event.shopId, [{ id: variantId, sku: event.sku }]);
  await setVariantSku(tx, variantId, event.sku, event.occurredAt);
}

async function applyProduct(tx: SqlRunner, event: ProductChanged): Promise<void> {
  const at = event.occurredAt;
  const productId = await upsertProduct(tx, event.shopId, {
    externalId: event.productExternalId,
    title: event.title ?? "",
    status: event.deleted ? "deleted" : (event.status ?? "active"),
    deleted: event.deleted === true,
    at,
  });
  if (!productId) return;
  if (event.attributes) await setProductFeedAttributes(tx, productId, event.attributes);
  for (const variant of event.variants) {
    const sku = skuOrPlaceholder(variant.sku, variant.externalId);
    const inventoryItemExternalId = variant.inventoryItemExternalId ?? null;
    const existing = await findReportedVariant(tx, event.shopId, { externalId: variant.externalId, inventoryItemExternalId }, at);
    if (existing && !existing.applies) continue;
    await releaseSkus(tx, event.shopId, [{ id: existing?.id ?? null, sku }]);
    await writeReportedVariant(tx, event.shopId, existing?.id ?? null, {
      externalId: variant.externalId,
      productId,
      inventoryItemExternalId,
      sku,
      title: variant.title,
      at,
      ...("gtin" in variant && { gtin: variant.gtin ?? null }),
      ...("mpn" in variant && { mpn: variant.mpn ?? null }),
    });
  }
}

async function applyVariantPrice(tx: SqlRunner, event: VariantPriceChanged): Promise<void> {
  await setVariantPrice(tx, event.shopId, event.variantExternalId, event.price, event.occurredAt, event.compareAtPrice);
  // The price history: a late (older) price never overwrites a newer version; a staff edit is kept.
  await recordStorePrice(tx, { shopId: event.shopId, variantExternalId: event.variantExternalId, price: event.price, changedAt: event.occurredAt });
}

async function applyLocation(tx: SqlRunner, event: LocationChanged): Promise<void> {
  if (!(await advanceSourceVersion(tx, event.shopId, "location", event.locationExternalId, event.occurredAt))) return;
  await upsertLocation(tx, event.shopId, { externalId: event.locationExternalId, name: event.name ?? null, active: event.active });
}

async function applyRefund(tx: SqlRunner, event: RefundCreated): Promise<void> {
  await addRefund(tx, event.shopId, event.orderExternalId, event.refundExternalId, { occurredAt: event.occurredAt.toISOString(), lineItems: event.lineItems });
}

function customerOf(event: CustomerDataRequested | CustomerRedactRequested): CustomerSelection {
  return { shopId: event.shopId, customerExternalId: event.customerExternalId ?? null, orderExternalIds: event.orderExternalIds };
}

async function applyDataRequest(tx: SqlRunner, event: CustomerDataRequested, topic: string): Promise<void> {
  const orders = await readCustomerOrders(tx, customerOf(event));
  await recordComplianceRequest(tx, {
    shopId: event.shopId,
    topic,
    requestExternalId: event.requestExternalId,
    customerExternalId: event.customerExternalId,
    result: { customerId: event.customerExternalId ?? null, orders },
  });
}

async function applyCustomerRedact(tx: SqlRunner, event: CustomerRedactRequested): Promise<void> {
  const deletedOrders = await deleteCustomerOrders(tx, customerOf(event));
  await recordComplianceRequest(tx, { shopId: event.shopId, topic: "customers/redact", customerExternalId: event.customerExternalId, result: { deletedOrders } });
}

async function applyShopRedact(tx: SqlRunner, shopId: string, inboxId: string): Promise<void> {
  // Re-installed since the uninstall it follows: the merchant is back, their data and settings stay.
  if (await isShopInstalled(tx, shopId)) {
    await recordComplianceRequest(tx, { shopId, topic: "shop/redact", result: { skipped: "re-installed" } });
    return;
  }
  const forgotten = await forgetShopSettings(tx, shopId);
  const deleted = await redactShopData(tx, shopId, inboxId);
  await recordComplianceRequest(tx, { shopId, topic: "shop/redact", result: { deleted: { ...forgotten, ...deleted } } });
}

/**
 * Applies events in order. Runs of inventory level changes (the bulk of the traffic) go in one
 * statement each; every other event is applied on its own, in its place in the order.
 */
export async function applyEvents(tx: SqlRunner, events: Array<{ event: DomainEvent; inboxId: string; correlationId?: string }>, source: ChangeSource = "webhook"): Promise<void> {
  let levels: InventoryLevelChanged[] = [];
  for (const { event, inboxId } of events) {
    if (event.type === "InventoryLevelChanged") {
      levels.push(event);
      continue;
    }
    if (levels.length > 0) await applyInventoryLevels(tx, levels);
    levels = [];
    await applyEvent(tx, event, inboxId);
  }
  if (levels.length > 0) await applyInventoryLevels(tx, levels);
  // The delayed half's outbox: what these events changed, in their transaction.
  await captureChanges(tx, source, changesOfEvents(events));
  // Order events owed to destinations that receive orders (real-time fan-out), queued in this transaction too.
  await enqueueAppliedOrderEvents(tx, events);
}

/** Applies one domain event. `inboxId` is the row carrying it (shop/redact keeps that row). */
async function applyEvent(tx: SqlRunner, event: DomainEvent, inboxId: string): Promise<void> {
  switch (event.type) {
    case "InventoryLevelChanged":
      return applyInventoryLevels(tx, [event]);
    case "InventoryItemChanged":
      return applyInventoryItem(tx, event);
    case "ProductChanged":
      return applyProduct(tx, event);
    case "VariantPriceChanged":
      return applyVariantPrice(tx, event);
    case "OrderCreated":
    case "OrderUpdated":
      return upsertOrder(tx, { ...event, cancelled: false, at: event.occurredAt });
    case "OrderCancelled":
      return upsertOrder(tx, {
        shopId: event.shopId,
        orderExternalId: event.orderExternalId,
        cartToken: event.cartToken,
        checkoutToken: event.checkoutToken,
        cancelled: true,
        lineItems: event.lineItems,
        at: event.occurredAt,
      });
    case "RefundCreated":
      return applyRefund(tx, event);
    case "LocationChanged":
      return applyLocation(tx, event);
    case "AppUninstalled":
      await markShopUninstalled(tx, event.shopId, event.occurredAt);
      return;
    case "ScopesUpdated":
      return setShopScopes(tx, event.shopId, event.scopes);
    case "CustomerDataRequested":
      return applyDataRequest(tx, event, "customers/data_request");
    case "CustomerRedactRequested":
      return applyCustomerRedact(tx, event);
    case "ShopRedactRequested":
      return applyShopRedact(tx, event.shopId, inboxId);
  }
}
