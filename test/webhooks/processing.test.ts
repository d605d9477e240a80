import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { installShop } from "../../app/shops/shops.server";
import type { DomainEvent } from "../../app/events/domainEvents";
import { getInboxLag } from "../../app/observability/sql/getInboxLag";
import { processDueRows, type WebhookWorkerOptions } from "../../app/webhooks/workerLoop.server";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { useTestDatabase } from "../helpers/database";
import { SHOPIFY_SECRET, startWebhookServer, type WebhookServer } from "./helpers";

const database = useTestDatabase();
let server: WebhookServer;

function worker(overrides: Partial<WebhookWorkerOptions> = {}): WebhookWorkerOptions {
  return { sql: database().sql, workerId: "test-worker", metrics: server.context.webhooks.metrics, subscribers: server.context.webhooks.subscribers, maxAttempts: 3, leaseMs: 30_000, random: () => 0, ...overrides };
}

/** Processes until nothing is due (bounded). */
async function drain(overrides: Partial<WebhookWorkerOptions> = {}): Promise<void> {
  for (let round = 0; round < 50; round++) if ((await processDueRows(worker(overrides))) === 0) return;
  throw new Error("the inbox did not drain");
}

async function send(shop: string, topic: string, fields: Record<string, unknown> = {}, extra: { triggeredAt?: Date; eventId?: string } = {}): Promise<number> {
  const delivery = signShopifyDelivery({ secret: SHOPIFY_SECRET, shopDomain: shop, topic, payload: shopifyPayload(topic, fields), ...extra });
  return (await server.post("/webhooks/shopify", delivery)).status;
}

async function one<T>(text: string, params: unknown[] = []): Promise<T> {
  const rows = await database().sql.query<T>(text, params);
  return rows[0]!;
}

async function newShop(name: string): Promise<{ id: string; domain: string }> {
  const shop = await installShop(database().prisma, { platform: "shopify", domain: `${name}.myshopify.com` });
  return { id: shop.id, domain: shop.domain };
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 10, minute)).toISOString();

beforeAll(async () => {
  server = await startWebhookServer(database());
});
afterAll(async () => {
  await server.close();
});

describe("Shopify topics, applied", () => {
  it("locations and inventory levels: unknown items and locations are created, on_hand = available + committed, disconnect zeroes", async () => {
    const shop = await newShop("levels");
    expect(await send(shop.domain, "locations/create", { id: 11, name: "Dock", updated_at: at(1) })).toBe(200);
    expect(await send(shop.domain, "inventory_levels/connect", { inventory_item_id: 501, location_id: 11, available: 0, updated_at: at(2) })).toBe(200);
    expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 502, location_id: 99, available: 4, updated_at: at(2) })).toBe(200);
    await drain();
    expect(await one(`SELECT name, active FROM location WHERE shop_id = $1 AND external_id = 'gid://shopify/Location/11'`, [shop.id])).toEqual({ name: "Dock", active: true });
    expect(await one(`SELECT count(*)::int AS n FROM location WHERE shop_id = $1 AND external_id = 'gid://shopify/Location/99'`, [shop.id])).toEqual({ n: 1 });

    // Another domain holds 3 units committed to unfulfilled orders: Shopify's `available` excludes them.
    await database().sql.query(`UPDATE inventory_level SET committed = 3 WHERE shop_id = $1`, [shop.id]);
    expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 501, location_id: 11, available: 6, updated_at: at(3) })).toBe(200);
    await drain();
    const level = `SELECT l.on_hand, l.committed FROM inventory_level l JOIN variant v ON v.id = l.variant_id JOIN location o ON o.id = l.location_id
      WHERE l.shop_id = $1 AND v.inventory_item_external_id = $2 AND o.external_id = $3`;
    expect(await one(level, [shop.id, "gid://shopify/InventoryItem/501", "gid://shopify/Location/11"])).toEqual({ on_hand: 9, committed: 3 });

    expect(await send(shop.domain, "inventory_levels/disconnect", { inventory_item_id: 501, location_id: 11, updated_at: at(4) })).toBe(200);
    expect(await send(shop.domain, "locations/update", { id: 11, name: "Dock B", active: false, updated_at: at(4) })).toBe(200);
    await drain();
    expect(await one(level, [shop.id, "gid://shopify/InventoryItem/501", "gid://shopify/Location/11"])).toEqual({ on_hand: 0, committed: 0 });
    expect(await one(`SELECT name, active FROM location WHERE shop_id = $1 AND external_id = 'gid://shopify/Location/11'`, [shop.id])).toEqual({ name: "Dock B", active: false });
    expect(await send(shop.domain, "locations/delete", { id: 99 })).toBe(200);
    await drain();
    expect(await one(`SELECT active FROM location WHERE shop_id = $1 AND external_id = 'gid://shopify/Location/99'`, [shop.id])).toEqual({ active: false });
  });

  it("lands on the catalog the rest of Lockstep keeps (Admin API GIDs), not on new placeholders", async () => {
    const shop = await newShop("seeded");
    await database().sql.query(
      `WITH p AS (INSERT INTO product (id, shop_id, external_id, title) VALUES (gen_random_uuid(), $1, 'gid://shopify/Product/1', 'Mug') RETURNING id)
       INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku) SELECT gen_random_uuid(), $1, p.id, 'gid://shopify/ProductVariant/2', 'gid://shopify/InventoryItem/3', 'MUG' FROM p`,
      [shop.id],
    );
    await database().sql.query(`INSERT INTO location (id, shop_id, external_id, name) VALUES (gen_random_uuid(), $1, 'gid://shopify/Location/4', 'Shop floor')`, [shop.id]);
    expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 3, location_id: 4, available: 12 })).toBe(200);
    await drain();
    expect(await database().sql.query(`SELECT v.sku, o.name, l.on_hand FROM inventory_level l JOIN variant v ON v.id = l.variant_id JOIN location o ON o.id = l.location_id WHERE l.shop_id = $1`, [shop.id])).toEqual([
      { sku: "MUG", name: "Shop floor", on_hand: 12 },
    ]);
    expect(await one(`SELECT count(*)::int AS n FROM product WHERE shop_id = $1`, [shop.id])).toEqual({ n: 1 });
  });

  it("products, variants, prices and inventory items; the placeholder an inventory event made is adopted by the product", async () => {
    const shop = await newShop("catalog");
    expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 2718783465968840, location_id: 5, available: 7, updated_at: at(1) })).toBe(200);
    await drain();
    expect(await send(shop.domain, "products/create", { updated_at: at(2) })).toBe(200);
    await drain();
    const variants = await database().sql.query(
      `SELECT external_id, inventory_item_external_id, sku, title, price::text AS price FROM variant WHERE shop_id = $1 ORDER BY external_id`,
      [shop.id],
    );
    expect(variants).toEqual([
      { external_id: "gid://shopify/ProductVariant/6426670414727139", inventory_item_external_id: "gid://shopify/InventoryItem/2718783465968840", sku: "example-shirt-s", title: "Small", price: "19.9900" },
      { external_id: "gid://shopify/ProductVariant/7576504846442039", inventory_item_external_id: "gid://shopify/InventoryItem/2718783465968841", sku: "example-shirt-m", title: "Medium", price: "19.9900" },
    ]);
    // The level recorded before the product existed now belongs to the real variant.
    expect(await one(`SELECT l.on_hand FROM inventory_level l JOIN variant v ON v.id = l.variant_id WHERE v.external_id = 'gid://shopify/ProductVariant/6426670414727139'`)).toEqual({ on_hand: 7 });

    const product = shopifyPayload("products/update") as { variants: Array<Record<string, unknown>> };
    product.variants[0]!.price = "24.50";
    expect(await send(shop.domain, "products/update", { title: "Better T-Shirt", variants: product.variants, updated_at: at(3) })).toBe(200);
    expect(await send(shop.domain, "inventory_items/update", { id: 2718783465968841, sku: "shirt-m-2026", updated_at: at(4) })).toBe(200);
    await drain();
    expect(await one(`SELECT title, status FROM product WHERE shop_id = $1 AND external_id = 'gid://shopify/Product/7880321196742929'`, [shop.id])).toEqual({ title: "Better T-Shirt", status: "active" });
    expect(await one(`SELECT price::text AS price FROM variant WHERE shop_id = $1 AND external_id = 'gid://shopify/ProductVariant/6426670414727139'`, [shop.id])).toEqual({ price: "24.5000" });
    expect(await one(`SELECT sku FROM variant WHERE shop_id = $1 AND external_id = 'gid://shopify/ProductVariant/7576504846442039'`, [shop.id])).toEqual({ sku: "shirt-m-2026" });

    expect(await send(shop.domain, "products/delete", { id: 7880321196742929 }, { triggeredAt: new Date(at(5)) })).toBe(200);
    await drain();
    expect(await one(`SELECT status FROM product WHERE shop_id = $1 AND external_id = 'gid://shopify/Product/7880321196742929'`, [shop.id])).toEqual({ status: "deleted" });
    // An older update arriving after the delete does not resurrect it.
    expect(await send(shop.domain, "products/update", { updated_at: at(4) })).toBe(200);
    await drain();
    expect(await one(`SELECT status FROM product WHERE shop_id = $1 AND external_id = 'gid://shopify/Product/7880321196742929'`, [shop.id])).toEqual({ status: "deleted" });
  });

  it("orders: ids, tokens, line items and totals kept, no personal data; paid, updated, cancelled, refunded; subscribers told", async () => {
    const shop = await newShop("orders");
    const seen: DomainEvent[] = [];
    const stop = [server.context.webhooks.subscribers.onApplied("OrderCreated", (event) => void seen.push(event)), server.context.webhooks.subscribers.onApplied("OrderCancelled", (event) => void seen.push(event))];
    try {
      expect(await send(shop.domain, "orders/create", { updated_at: at(1) })).toBe(200);
      await drain();
      const order = `SELECT external_id, cart_token, checkout_token, customer_external_id, total_price::text AS total, financial_status, cancelled, line_items, refunds
        FROM platform_order WHERE shop_id = $1`;
      expect(await one(order, [shop.id])).toEqual({
        external_id: "gid://shopify/Order/8209829119461545",
        cart_token: "cart-68778783ad298f1c80c3bafcddeea02f",
        checkout_token: "bd5a8aa1ecd019dd3520ff791ee3a24c",
        customer_external_id: "gid://shopify/Customer/1153106273147239",
        total: "39.9800",
        financial_status: "pending",
        cancelled: false,
        line_items: [{ lineItemExternalId: "gid://shopify/LineItem/8665503117664390", variantExternalId: "gid://shopify/ProductVariant/6426670414727139", sku: "example-shirt-s", quantity: 2 }],
        refunds: {},
      });
      // The subscriber call is owed from the commit: a worker (this drain, or the server's own) makes it just after.
      await vi.waitFor(() => expect(seen).toEqual([expect.objectContaining({ type: "OrderCreated", shopId: shop.id, cartToken: "cart-68778783ad298f1c80c3bafcddeea02f", lineItems: [expect.objectContaining({ sku: "example-shirt-s", quantity: 2 })] })]));

      expect(await send(shop.domain, "orders/paid", { updated_at: at(2) })).toBe(200);
      await drain();
      expect(await one(`SELECT financial_status FROM platform_order WHERE shop_id = $1`, [shop.id])).toEqual({ financial_status: "paid" });
      // orders/updated from before the payment arrives late: the newer status stays.
      expect(await send(shop.domain, "orders/updated", { updated_at: at(1), financial_status: "pending" })).toBe(200);
      expect(await send(shop.domain, "refunds/create", { created_at: at(3), processed_at: at(3) })).toBe(200);
      expect(await send(shop.domain, "orders/cancelled", { updated_at: at(4), cancelled_at: at(4) })).toBe(200);
      await drain();
      const final = await one<{ financial_status: string; cancelled: boolean; refunds: Record<string, unknown> }>(order, [shop.id]);
      expect(final.financial_status).toBe("paid");
      expect(final.cancelled).toBe(true);
      expect(Object.keys(final.refunds)).toEqual(["gid://shopify/Refund/509562969"]);
      await vi.waitFor(() => expect(seen.map((event) => event.type)).toEqual(["OrderCreated", "OrderCancelled"]));
      const everything = JSON.stringify(await database().sql.query(`SELECT * FROM platform_order WHERE shop_id = $1`, [shop.id]));
      expect(everything).not.toMatch(/@|Lovelace|phone|address|4242/);
    } finally {
      stop.forEach((unsubscribe) => unsubscribe());
    }
  });

  it("compliance: data_request reports the customer's orders, customers/redact deletes them, shop/redact deletes the shop's data", async () => {
    const shop = await newShop("privacy");
    expect(await send(shop.domain, "orders/create", { id: 299938, customer: { id: 191167, email: "john@example.com" }, updated_at: at(1) })).toBe(200);
    expect(await send(shop.domain, "orders/create", { id: 777, customer: { id: 5 }, updated_at: at(1) })).toBe(200);
    expect(await send(shop.domain, "customers/data_request")).toBe(200);
    await drain();
    const report = await one<{ result: { customerId: string; orders: Array<{ orderId: string }> } }>(
      `SELECT result FROM compliance_request WHERE shop_id = $1 AND topic = 'customers/data_request'`,
      [shop.id],
    );
    expect(report.result.customerId).toBe("gid://shopify/Customer/191167");
    expect(report.result.orders.map((order) => order.orderId)).toEqual(["gid://shopify/Order/299938"]);
    expect(JSON.stringify(report)).not.toMatch(/@|555-625-1199/);

    expect(await send(shop.domain, "customers/redact")).toBe(200);
    await drain();
    expect(await database().sql.query(`SELECT external_id FROM platform_order WHERE shop_id = $1`, [shop.id])).toEqual([{ external_id: "gid://shopify/Order/777" }]);

    expect(await send(shop.domain, "products/create", { updated_at: at(2) })).toBe(200);
    await database().sql.query(
      `INSERT INTO reservation (id, shop_id, key, status, expires_at) VALUES (gen_random_uuid(), $1, 'cart-of-a-shopper', 'released', now())`,
      [shop.id],
    );
    // shop/redact comes 48 h after an uninstall (for a shop installed again it deletes nothing: test/onboarding/uninstall.test.ts).
    expect(await send(shop.domain, "app/uninstalled")).toBe(200);
    await drain();
    expect(await send(shop.domain, "shop/redact")).toBe(200);
    await drain();
    for (const table of ["platform_order", "reservation", "product", "variant", "inventory_level", "location"]) {
      expect(await one(`SELECT count(*)::int AS n FROM ${table} WHERE shop_id = $1`, [shop.id]), table).toEqual({ n: 0 });
    }
    expect(await database().sql.query(`SELECT topic FROM webhook_inbox WHERE shop_id = $1`, [shop.id])).toEqual([{ topic: "shop/redact" }]);
  });

  it("app/scopes_update records the scopes; app/uninstalled stops work for the shop and removes its sessions", async () => {
    const shop = await newShop("leaving");
    await database().sql.query(`INSERT INTO session (id, shop, state, access_token) VALUES ('offline_leaving', $1, 'x', 'shpat_secret')`, [shop.domain]);
    expect(await send(shop.domain, "app/scopes_update", { current: ["read_products", "write_inventory"], updated_at: at(1) })).toBe(200);
    await drain();
    expect(await one(`SELECT scopes FROM shop WHERE id = $1`, [shop.id])).toEqual({ scopes: "read_products,write_inventory" });

    expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 1, location_id: 1, updated_at: at(2) })).toBe(200);
    expect(await send(shop.domain, "app/uninstalled", {}, { triggeredAt: new Date() })).toBe(200);
    // The uninstall is processed before the level update (claimed in id order otherwise): the update is then skipped.
    await database().sql.query(`UPDATE webhook_inbox SET run_at = now() + interval '1 hour' WHERE shop_id = $1 AND topic = 'inventory_levels/update'`, [shop.id]);
    await drain();
    await database().sql.query(`UPDATE webhook_inbox SET run_at = now() WHERE shop_id = $1`, [shop.id]);
    await drain();
    expect(await one(`SELECT install_state::text FROM shop WHERE id = $1`, [shop.id])).toEqual({ install_state: "uninstalled" });
    expect(await one(`SELECT count(*)::int AS n FROM session WHERE shop = $1`, [shop.domain])).toEqual({ n: 0 });
    expect(await one(`SELECT state::text FROM webhook_inbox WHERE shop_id = $1 AND topic = 'inventory_levels/update'`, [shop.id])).toEqual({ state: "skipped" });
    expect(await one(`SELECT count(*)::int AS n FROM inventory_level WHERE shop_id = $1`, [shop.id])).toEqual({ n: 0 });
    expect(await send(shop.domain, "products/update")).toBe(404);
    // Reinstalled: the data kept is there again, and webhooks are accepted.
    await installShop(database().prisma, { platform: "shopify", domain: shop.domain });
    expect(await send(shop.domain, "products/update")).toBe(200);
  });
});

describe("ordering", () => {
  it("an older event never overwrites a newer state, whatever the arrival order", async () => {
    const shop = await newShop("ordering");
    const updates = [
      { minute: 30, available: 3 },
      { minute: 10, available: 1 },
      { minute: 20, available: 2 },
    ];
    for (const update of updates) {
      expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 42, location_id: 7, available: update.available, updated_at: at(update.minute) })).toBe(200);
    }
    await drain();
    expect(await one(`SELECT on_hand, source_updated_at FROM inventory_level WHERE shop_id = $1`, [shop.id])).toEqual({ on_hand: 3, source_updated_at: new Date(at(30)) });
    expect(await send(shop.domain, "locations/update", { id: 7, name: "New name", updated_at: at(30) })).toBe(200);
    expect(await send(shop.domain, "locations/update", { id: 7, name: "Old name", updated_at: at(10) })).toBe(200);
    expect(await send(shop.domain, "products/update", { title: "Newer", updated_at: at(30) })).toBe(200);
    expect(await send(shop.domain, "products/update", { title: "Older", updated_at: at(10) })).toBe(200);
    await drain();
    expect(await one(`SELECT name FROM location WHERE shop_id = $1 AND external_id = 'gid://shopify/Location/7'`, [shop.id])).toEqual({ name: "New name" });
    expect(await one(`SELECT title FROM product WHERE shop_id = $1 AND external_id = 'gid://shopify/Product/7880321196742929'`, [shop.id])).toEqual({ title: "Newer" });
  });
});

describe("one batch, many levels", () => {
  it("records when a level last lowered what it can sell (an order), not when it rose (a restock), even inside one batch", async () => {
    const shop = await newShop("lowered");
    const loweredAt = async () => {
      const row = await one<{ lowered_at: Date | string | null }>(
        `SELECT l.lowered_at FROM inventory_level l JOIN variant v ON v.id = l.variant_id WHERE l.shop_id = $1 AND v.inventory_item_external_id = 'gid://shopify/InventoryItem/701'`,
        [shop.id],
      );
      return row.lowered_at === null ? null : new Date(row.lowered_at).toISOString();
    };
    const level = (available: number, minute: number) => send(shop.domain, "inventory_levels/update", { inventory_item_id: 701, location_id: 11, available, updated_at: at(minute) });
    expect(await level(10, 1)).toBe(200);
    await drain();
    expect(await loweredAt()).toBeNull();
    await level(15, 2);
    await drain();
    expect(await loweredAt()).toBeNull();
    await level(12, 3);
    await drain();
    expect(await loweredAt()).toBe(at(3));
    // An order (10) and a restock (20) applied together: the newest report alone is a rise, the lowering is kept.
    await level(10, 4);
    await level(20, 5);
    await drain();
    expect(await loweredAt()).toBe(at(4));
    // A report older than the level's lowers nothing.
    await level(1, 2);
    await drain();
    expect(await loweredAt()).toBe(at(4));
    // A disconnect takes what the level could sell to zero.
    await send(shop.domain, "inventory_levels/disconnect", { inventory_item_id: 701, location_id: 11, updated_at: at(6) });
    await drain();
    expect(await loweredAt()).toBe(at(6));
  });

  it("known and unknown items, updates and disconnects, older after newer: each level ends at its newest state", async () => {
    const shop = await newShop("batched");
    expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 61, location_id: 1, available: 5, updated_at: at(10) })).toBe(200);
    await drain();
    const sends = [
      send(shop.domain, "inventory_levels/update", { inventory_item_id: 61, location_id: 1, available: 8, updated_at: at(30) }),
      send(shop.domain, "inventory_levels/update", { inventory_item_id: 61, location_id: 1, available: 1, updated_at: at(20) }),
      send(shop.domain, "inventory_levels/update", { inventory_item_id: 62, location_id: 1, available: 4, updated_at: at(30) }),
      send(shop.domain, "inventory_levels/connect", { inventory_item_id: 63, location_id: 2, available: 3, updated_at: at(30) }),
      send(shop.domain, "inventory_levels/disconnect", { inventory_item_id: 63, location_id: 2, updated_at: at(40) }),
      send(shop.domain, "inventory_levels/update", { inventory_item_id: 64, location_id: 2, available: 2, updated_at: at(30) }),
    ];
    for (const status of await Promise.all(sends)) expect(status).toBe(200);
    expect(await processDueRows(worker({ batchSize: 50 }))).toBe(6);
    const levels = await database().sql.query<{ key: string; on_hand: number }>(
      `SELECT regexp_replace(v.inventory_item_external_id, '^.*/', '') || '@' || regexp_replace(o.external_id, '^.*/', '') AS key, l.on_hand
       FROM inventory_level l JOIN variant v ON v.id = l.variant_id JOIN location o ON o.id = l.location_id WHERE l.shop_id = $1 ORDER BY 1`,
      [shop.id],
    );
    expect(levels).toEqual([
      { key: "61@1", on_hand: 8 },
      { key: "62@1", on_hand: 4 },
      { key: "63@2", on_hand: 0 },
      { key: "64@2", on_hand: 2 },
    ]);
  });
});

describe("metrics", () => {
  it("records received -> stored -> processed latency, attempts and the inbox lag", async () => {
    const shop = await newShop("metrics");
    const before = await server.context.webhooks.metrics.counts();
    expect(await send(shop.domain, "inventory_levels/update", { inventory_item_id: 8, location_id: 8 })).toBe(200);
    const lag = await getInboxLag(database().sql);
    expect(lag.unprocessed).toBeGreaterThanOrEqual(1);
    expect(lag.oldestAgeMs).toBeGreaterThanOrEqual(0);
    await drain();
    const after = await server.context.webhooks.metrics.counts();
    expect(after.stored - before.stored).toBe(1);
    expect((after.observedByStage.received_to_stored ?? 0) - (before.observedByStage.received_to_stored ?? 0)).toBe(1);
    expect(after.processed - before.processed).toBe(1);
    expect((after.observedByStage.stored_to_processed ?? 0) - (before.observedByStage.stored_to_processed ?? 0)).toBe(1);
    expect((after.observedByStage.received_to_processed ?? 0) - (before.observedByStage.received_to_processed ?? 0)).toBe(1);
    expect((after.attemptsPerEvent["1"] ?? 0) - (before.attemptsPerEvent["1"] ?? 0)).toBe(1);
    expect(await getInboxLag(database().sql)).toMatchObject({ unprocessed: 0, oldestAgeMs: 0 });
  });
});
