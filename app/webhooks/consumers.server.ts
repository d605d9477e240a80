import { type ChangeSource, captureChanges, changesOfEvents } from "../batching/capture";
import { recordStorePrice } from "../prices/storeEdits.server";
import type { SqlRunner } from "../db/database.server";
import { loweredAt } from "../inventory/sql/committedHolds";
import type {
  CustomerDataRequested,
  CustomerRedactRequested,
  DomainEvent,
  InventoryItemChanged,
  InventoryLevelChanged,
  LocationChanged,
  OrderCancelled,
  OrderCreated,
  OrderUpdated,
  ProductChanged,
  RefundCreated,
  VariantPriceChanged,
} from "./events";

// Idempotent consumers: each applies one event inside the worker's transaction. State per entity
// only moves forward: every UPDATE carries `source_updated_at <= $occurredAt` in its WHERE, so an
// older event arriving late changes nothing, and the same event applied twice leaves the same state.

/** Placeholder SKU for variants the platform gave none (SKUs are unique per shop, empty ones are not). */
function skuOrPlaceholder(sku: string | undefined, externalId: string): string {
  return sku && sku.trim() !== "" ? sku.trim() : `#${externalId}`;
}

/** Frees a SKU another variant of the shop holds (SKUs move between variants on the platforms). */
async function releaseSku(tx: SqlRunner, shopId: string, sku: string, keepVariantId: string | null): Promise<void> {
  await tx.query(`UPDATE variant SET sku = '#' || external_id WHERE shop_id = $1 AND sku = $2 AND ($3::uuid IS NULL OR id <> $3::uuid)`, [shopId, sku, keepVariantId]);
}

/**
 * The variant an inventory item belongs to; an item Lockstep has not seen yet gets a placeholder
 * product and variant (no source time, so the first product event fills them in).
 */
async function ensureVariantForInventoryItem(tx: SqlRunner, shopId: string, inventoryItemExternalId: string, sku?: string): Promise<string> {
  const existing = await tx.query<{ id: string }>(`SELECT id FROM variant WHERE shop_id = $1 AND inventory_item_external_id = $2 LIMIT 1`, [shopId, inventoryItemExternalId]);
  if (existing[0]) return existing[0].id;
  const placeholder = `inventory-item:${inventoryItemExternalId}`;
  const placeholderSku = skuOrPlaceholder(sku, placeholder);
  await releaseSku(tx, shopId, placeholderSku, null);
  const rows = await tx.query<{ id: string }>(
    `WITH product_row AS (
       INSERT INTO product (id, shop_id, external_id, title) VALUES (gen_random_uuid(), $1, $2, $3)
       ON CONFLICT (shop_id, external_id) DO UPDATE SET updated_at = product.updated_at RETURNING id
     )
     INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku)
     SELECT gen_random_uuid(), $1, product_row.id, $2, $4, $5 FROM product_row
     RETURNING id`,
    [shopId, placeholder, `Unknown item ${inventoryItemExternalId}`, inventoryItemExternalId, placeholderSku],
  );
  return rows[0]!.id;
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
      mode: event.disconnected ? "zero" : event.onHand !== undefined ? "on_hand" : "available",
      quantity: quantityOf(event),
      at: event.occurredAt.toISOString(),
      // The older changes may hold an order's lowering that a later restock hides in the newest:
      // the first is compared with the stored level, the others with the change before them.
      first_quantity: ordered.length > 1 ? quantityOf(ordered[0]!) : null,
      first_at: ordered.length > 1 ? ordered[0]!.occurredAt.toISOString() : null,
      lowered_in_batch: loweredBetween(ordered)?.toISOString() ?? null,
    };
  });
  type LevelRow = (typeof input)[number];
  // What a reported quantity leaves sellable at `level`: Shopify reports available, BigCommerce on hand.
  const sellable = (quantity: string, level: string) => `CASE WHEN $2 = 'on_hand' THEN ${quantity} - ${level}.committed ELSE ${quantity} END`;
  // One statement per kind of quantity (almost always one kind per batch), so the SQL stays plain.
  const upsert = async (rows: LevelRow[]): Promise<Array<{ shop_id: string; item: string }>> => {
    const unknown: Array<{ shop_id: string; item: string }> = [];
    for (const mode of ["available", "on_hand", "zero"]) {
      const ofMode = rows.filter((row) => row.mode === mode);
      if (ofMode.length === 0) continue;
      unknown.push(
        ...(await tx.query<{ shop_id: string; item: string }>(
          `WITH input AS (
             SELECT * FROM json_to_recordset($1::json)
               AS i(shop_id uuid, item text, location text, quantity int, at timestamptz, first_quantity int, first_at timestamptz, lowered_in_batch timestamptz)
           ), created_locations AS (
             INSERT INTO location (id, shop_id, external_id, name)
             SELECT DISTINCT ON (shop_id, location) gen_random_uuid(), shop_id, location, location FROM input
             ON CONFLICT (shop_id, external_id) DO NOTHING RETURNING id, shop_id, external_id
           ), located AS (
             SELECT i.*, v.id AS variant_id, COALESCE(c.id, l.id) AS location_id
             FROM input i
             JOIN LATERAL (SELECT id FROM variant WHERE shop_id = i.shop_id AND inventory_item_external_id = i.item LIMIT 1) v ON true
             LEFT JOIN created_locations c ON c.shop_id = i.shop_id AND c.external_id = i.location
             LEFT JOIN location l ON l.shop_id = i.shop_id AND l.external_id = i.location
           ), target AS (
             -- When the older changes of the batch lowered the level (the newest is compared in the update).
             SELECT t.*, greatest(
                      CASE WHEN t.first_at > cur.source_updated_at
                            AND ${sellable("t.first_quantity", "cur")} < cur.on_hand - cur.committed
                           THEN t.first_at END,
                      CASE WHEN cur.source_updated_at IS NULL OR t.lowered_in_batch > cur.source_updated_at THEN t.lowered_in_batch END
                    ) AS lowered_before
             FROM located t LEFT JOIN inventory_level cur ON cur.variant_id = t.variant_id AND cur.location_id = t.location_id
           ), applied AS (
             INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, committed, source_updated_at, lowered_at, updated_at)
             SELECT shop_id, variant_id, location_id, CASE WHEN $2 = 'zero' THEN 0 ELSE quantity END, 0, at, lowered_before, now() FROM target
             ON CONFLICT (variant_id, location_id) DO UPDATE SET
               on_hand = CASE $2 WHEN 'zero' THEN 0 WHEN 'on_hand' THEN EXCLUDED.on_hand ELSE EXCLUDED.on_hand + inventory_level.committed END,
               committed = CASE WHEN $2 = 'zero' THEN 0 ELSE inventory_level.committed END,
               lowered_at = ${loweredAt({
                 level: "inventory_level",
                 sellable: sellable("EXCLUDED.on_hand", "inventory_level"),
                 at: "EXCLUDED.source_updated_at",
                 loweredInBatch: "EXCLUDED.lowered_at",
               })},
               source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
             WHERE inventory_level.source_updated_at IS NULL OR inventory_level.source_updated_at <= EXCLUDED.source_updated_at
             RETURNING 1
           )
           SELECT DISTINCT i.shop_id, i.item FROM input i
           WHERE NOT EXISTS (SELECT 1 FROM target t WHERE t.shop_id = i.shop_id AND t.item = i.item)`,
          [JSON.stringify(ofMode), mode],
        )),
      );
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
  const current = await tx.query<{ applies: boolean }>(
    `SELECT (source_updated_at IS NULL OR source_updated_at <= $2) AS applies FROM variant WHERE id = $1`,
    [variantId, event.occurredAt.toISOString()],
  );
  if (!current[0]?.applies) return;
  await releaseSku(tx, event.shopId, event.sku, variantId);
  await tx.query(`UPDATE variant SET sku = $2, source_updated_at = $3, updated_at = now() WHERE id = $1`, [variantId, event.sku, event.occurredAt.toISOString()]);
}

async function applyProduct(tx: SqlRunner, event: ProductChanged): Promise<void> {
  const at = event.occurredAt.toISOString();
  // A deleted product stays as a tombstone (status "deleted") so an older create arriving later cannot resurrect it.
  const rows = await tx.query<{ id: string }>(
    `INSERT INTO product (id, shop_id, external_id, title, status, source_updated_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)
     ON CONFLICT (shop_id, external_id) DO UPDATE SET
       title = CASE WHEN $6 THEN product.title ELSE EXCLUDED.title END, status = EXCLUDED.status, source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
     WHERE product.source_updated_at IS NULL OR product.source_updated_at <= EXCLUDED.source_updated_at
     RETURNING id`,
    [event.shopId, event.productExternalId, event.title ?? "", event.deleted ? "deleted" : (event.status ?? "active"), at, event.deleted === true],
  );
  const productId = rows[0]?.id;
  if (!productId) return;
  for (const variant of event.variants) {
    const sku = skuOrPlaceholder(variant.sku, variant.externalId);
    // The variant may exist already under its id, or as the placeholder an inventory event created for its item.
    const found = await tx.query<{ id: string; applies: boolean }>(
      `SELECT id, (source_updated_at IS NULL OR source_updated_at <= $4) AS applies FROM variant
       WHERE shop_id = $1 AND (external_id = $2 OR ($3::text IS NOT NULL AND inventory_item_external_id = $3))
       ORDER BY (external_id = $2) DESC LIMIT 1`,
      [event.shopId, variant.externalId, variant.inventoryItemExternalId ?? null, at],
    );
    const existing = found[0];
    if (existing && !existing.applies) continue;
    await releaseSku(tx, event.shopId, sku, existing?.id ?? null);
    if (existing) {
      await tx.query(
        `UPDATE variant SET external_id = $2, product_id = $3, inventory_item_external_id = COALESCE($4, inventory_item_external_id), sku = $5, title = $6, source_updated_at = $7, updated_at = now()
         WHERE id = $1`,
        [existing.id, variant.externalId, productId, variant.inventoryItemExternalId ?? null, sku, variant.title, at],
      );
    } else {
      await tx.query(
        `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title, source_updated_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7)`,
        [event.shopId, productId, variant.externalId, variant.inventoryItemExternalId ?? null, sku, variant.title, at],
      );
    }
  }
}

async function applyVariantPrice(tx: SqlRunner, event: VariantPriceChanged): Promise<void> {
  await tx.query(
    `UPDATE variant SET price = $3::numeric, source_updated_at = $4, updated_at = now()
     WHERE shop_id = $1 AND external_id = $2 AND (source_updated_at IS NULL OR source_updated_at <= $4)`,
    [event.shopId, event.variantExternalId, event.price, event.occurredAt.toISOString()],
  );
  // The price history: a late (older) price never overwrites a newer version; a staff edit is kept.
  await recordStorePrice(tx, { shopId: event.shopId, variantExternalId: event.variantExternalId, price: event.price, changedAt: event.occurredAt });
}

/** Moves the recorded source time of an entity without a column of its own forward; false when the event is older. */
async function advanceSourceVersion(tx: SqlRunner, shopId: string, kind: string, externalId: string, occurredAt: Date): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO source_version (shop_id, kind, external_id, source_updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (shop_id, kind, external_id) DO UPDATE SET source_updated_at = EXCLUDED.source_updated_at
     WHERE source_version.source_updated_at <= EXCLUDED.source_updated_at
     RETURNING 1`,
    [shopId, kind, externalId, occurredAt.toISOString()],
  );
  return rows.length === 1;
}

async function applyLocation(tx: SqlRunner, event: LocationChanged): Promise<void> {
  if (!(await advanceSourceVersion(tx, event.shopId, "location", event.locationExternalId, event.occurredAt))) return;
  await tx.query(
    `INSERT INTO location (id, shop_id, external_id, name, active) VALUES (gen_random_uuid(), $1, $2, COALESCE($3, $2), $4)
     ON CONFLICT (shop_id, external_id) DO UPDATE SET name = COALESCE($3, location.name), active = EXCLUDED.active, updated_at = now()`,
    [event.shopId, event.locationExternalId, event.name ?? null, event.active],
  );
}

async function upsertOrder(
  tx: SqlRunner,
  event: OrderCreated | OrderUpdated | OrderCancelled,
  fields: { cartToken?: string; checkoutToken?: string; customerExternalId?: string; currency?: string; totalPrice?: string; financialStatus?: string; fulfillmentStatus?: string; cancelled: boolean; lineItems?: unknown[] },
): Promise<void> {
  // Cancellation is final: an older update arriving late never un-cancels; other fields only move forward.
  await tx.query(
    `INSERT INTO platform_order (id, shop_id, external_id, cart_token, checkout_token, customer_external_id, currency, total_price, financial_status, fulfillment_status, cancelled, line_items, source_updated_at)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::numeric, $8, $9, $10, COALESCE($11::jsonb, '[]'), $12)
     ON CONFLICT (shop_id, external_id) DO UPDATE SET
       cancelled = platform_order.cancelled OR EXCLUDED.cancelled,
       cart_token = COALESCE(platform_order.cart_token, EXCLUDED.cart_token),
       checkout_token = COALESCE(platform_order.checkout_token, EXCLUDED.checkout_token),
       customer_external_id = COALESCE(platform_order.customer_external_id, EXCLUDED.customer_external_id),
       currency = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.currency, platform_order.currency) ELSE platform_order.currency END,
       total_price = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.total_price, platform_order.total_price) ELSE platform_order.total_price END,
       financial_status = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.financial_status, platform_order.financial_status) ELSE platform_order.financial_status END,
       fulfillment_status = CASE WHEN platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12 THEN COALESCE(EXCLUDED.fulfillment_status, platform_order.fulfillment_status) ELSE platform_order.fulfillment_status END,
       line_items = CASE WHEN $11::jsonb IS NOT NULL AND (platform_order.source_updated_at IS NULL OR platform_order.source_updated_at <= $12) THEN $11::jsonb ELSE platform_order.line_items END,
       source_updated_at = GREATEST(platform_order.source_updated_at, EXCLUDED.source_updated_at),
       updated_at = now()`,
    [
      event.shopId,
      event.orderExternalId,
      fields.cartToken ?? null,
      fields.checkoutToken ?? null,
      fields.customerExternalId ?? null,
      fields.currency ?? null,
      fields.totalPrice ?? null,
      fields.financialStatus ?? null,
      fields.fulfillmentStatus ?? null,
      fields.cancelled,
      fields.lineItems ? JSON.stringify(fields.lineItems) : null,
      event.occurredAt.toISOString(),
    ],
  );
}

async function applyRefund(tx: SqlRunner, event: RefundCreated): Promise<void> {
  // Refunds are keyed by their id inside the order, so the same refund applied twice is one refund.
  await tx.query(
    `INSERT INTO platform_order (id, shop_id, external_id, refunds) VALUES (gen_random_uuid(), $1, $2, jsonb_build_object($3::text, $4::jsonb))
     ON CONFLICT (shop_id, external_id) DO UPDATE SET refunds = platform_order.refunds || EXCLUDED.refunds, updated_at = now()`,
    [event.shopId, event.orderExternalId, event.refundExternalId, JSON.stringify({ occurredAt: event.occurredAt.toISOString(), lineItems: event.lineItems })],
  );
}

async function applyAppUninstalled(tx: SqlRunner, shopId: string, occurredAt: Date): Promise<void> {
  // A re-install after the uninstall event was sent wins: only uninstall a shop installed before it.
  const rows = await tx.query<{ domain: string }>(
    `UPDATE shop SET install_state = 'uninstalled', uninstalled_at = $2, updated_at = now()
     WHERE id = $1 AND install_state = 'installed' AND installed_at <= $2 RETURNING domain`,
    [shopId, occurredAt.toISOString()],
  );
  if (rows[0]) await tx.query(`DELETE FROM session WHERE shop = $1`, [rows[0].domain]);
}

/** The orders a compliance request is about: the customer's, and the ones it names. Parameters: $1 shop, $2 customer, $3 order ids. */
const CUSTOMER_ORDERS = `shop_id = $1 AND (customer_external_id = $2 OR external_id = ANY($3::text[]))`;

async function applyDataRequest(tx: SqlRunner, event: CustomerDataRequested, topic: string): Promise<void> {
  const orders = await tx.query(
    `SELECT external_id AS "orderId", line_items AS "lineItems", total_price::text AS "totalPrice", currency, financial_status AS "financialStatus",
       cancelled, refunds, created_at AS "recordedAt"
     FROM platform_order WHERE ${CUSTOMER_ORDERS} ORDER BY created_at`,
    [event.shopId, event.customerExternalId ?? null, event.orderExternalIds],
  );
  await tx.query(
    `INSERT INTO compliance_request (id, shop_id, topic, request_external_id, customer_external_id, result) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::jsonb)`,
    [event.shopId, topic, event.requestExternalId ?? null, event.customerExternalId ?? null, JSON.stringify({ customerId: event.customerExternalId ?? null, orders })],
  );
}

async function applyCustomerRedact(tx: SqlRunner, event: CustomerRedactRequested): Promise<void> {
  const deleted = await tx.query<{ external_id: string }>(`DELETE FROM platform_order WHERE ${CUSTOMER_ORDERS} RETURNING external_id`, [
    event.shopId,
    event.customerExternalId ?? null,
    event.orderExternalIds,
  ]);
  await tx.query(
    `INSERT INTO compliance_request (id, shop_id, topic, customer_external_id, result) VALUES (gen_random_uuid(), $1, 'customers/redact', $2, $3::jsonb)`,
    [event.shopId, event.customerExternalId ?? null, JSON.stringify({ deletedOrders: deleted.map((row) => row.external_id) })],
  );
}

async function applyShopRedact(tx: SqlRunner, shopId: string, inboxId: string): Promise<void> {
  const counts: Record<string, number> = {};
  for (const table of ["platform_order", "reservation", "change_record", "inventory_level", "variant", "product", "location", "source_version", "webhook_outbox"]) {
    counts[table] = (await tx.query(`DELETE FROM ${table} WHERE shop_id = $1 RETURNING 1`, [shopId])).length;
  }
  await tx.query(`DELETE FROM session WHERE shop = (SELECT domain FROM shop WHERE id = $1)`, [shopId]);
  // The stored deliveries go too, except the one being processed (its row records that the redaction happened).
  counts.webhook_inbox = (await tx.query(`DELETE FROM webhook_inbox WHERE shop_id = $1 AND id <> $2::bigint RETURNING 1`, [shopId, inboxId])).length;
  await tx.query(`INSERT INTO compliance_request (id, shop_id, topic, result) VALUES (gen_random_uuid(), $1, 'shop/redact', $2::jsonb)`, [shopId, JSON.stringify({ deleted: counts })]);
}

/**
 * Applies events in order. Runs of inventory level changes (the bulk of the traffic) go in one
 * statement each; every other event is applied on its own, in its place in the order.
 */
export async function applyEvents(tx: SqlRunner, events: Array<{ event: DomainEvent; inboxId: string }>, source: ChangeSource = "webhook"): Promise<void> {
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
      return upsertOrder(tx, event, { ...event, cancelled: false });
    case "OrderUpdated":
      return upsertOrder(tx, event, { ...event, cancelled: false });
    case "OrderCancelled":
      return upsertOrder(tx, event, { cartToken: event.cartToken, checkoutToken: event.checkoutToken, cancelled: true, lineItems: event.lineItems });
    case "RefundCreated":
      return applyRefund(tx, event);
    case "LocationChanged":
      return applyLocation(tx, event);
    case "AppUninstalled":
      return applyAppUninstalled(tx, event.shopId, event.occurredAt);
    case "ScopesUpdated":
      await tx.query(`UPDATE shop SET scopes = $2, updated_at = now() WHERE id = $1`, [event.shopId, event.scopes.join(",")]);
      return;
    case "CustomerDataRequested":
      return applyDataRequest(tx, event, "customers/data_request");
    case "CustomerRedactRequested":
      return applyCustomerRedact(tx, event);
    case "ShopRedactRequested":
      return applyShopRedact(tx, event.shopId, inboxId);
  }
}
