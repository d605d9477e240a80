import { beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../app/db/database.server";
import { installShop } from "../../app/shops/shops.server";
import type { BigCommerceReader } from "../../app/platforms/bigcommerce/readBack";
import { createInbox } from "../../app/webhooks/inbox.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { claimInboxRows } from "../../app/webhooks/sql/claimInboxRows";
import { completeInboxRows } from "../../app/webhooks/sql/completeInboxRows";
import { listDeadLetters } from "../../app/webhooks/sql/listDeadLetters";
import { purgeInboxRows } from "../../app/webhooks/sql/purgeInboxRows";
import { replayDeadLetters } from "../../app/webhooks/sql/replayDeadLetters";
import { processDueRows, type WebhookWorkerOptions } from "../../app/webhooks/workerLoop.server";
import { SimulatedBigCommerceStore } from "../../simulators/webhooks/bigcommerceStore";
import { shopifyPayload } from "../../simulators/webhooks/shopify";
import { useTestDatabase } from "../helpers/database";

const database = useTestDatabase();
const bigCommerce = new SimulatedBigCommerceStore();
const metrics = new WebhookMetrics();
let shopId: string;
let storeId: string;

function worker(overrides: Partial<WebhookWorkerOptions> = {}): WebhookWorkerOptions {
  return { sql: database().sql, workerId: "worker-a", metrics, bigCommerce, maxAttempts: 3, leaseMs: 30_000, random: () => 0, ...overrides };
}

async function store(input: { platform?: "shopify" | "bigcommerce"; topic: string; payload: unknown; deliveryId?: string }): Promise<string> {
  const inbox = createInbox({ sql: database().sql, metrics });
  const outcome = await inbox.store({
    platform: input.platform ?? "bigcommerce",
    shopDomain: input.platform === "shopify" ? "retries.myshopify.com" : "stores/retry1",
    topic: input.topic,
    deliveryId: input.deliveryId ?? crypto.randomUUID(),
    payload: JSON.stringify(input.payload),
    receivedAt: new Date(),
  });
  if (outcome.kind !== "stored") throw new Error(`not stored: ${outcome.kind}`);
  return outcome.inboxId;
}

async function row(id: string) {
  const rows = await database().sql.query<{ state: string; attempts: number; last_error: string | null; replay_count: number; locked_by: string | null }>(
    `SELECT state::text, attempts, last_error, replay_count, locked_by FROM webhook_inbox WHERE id = $1::bigint`,
    [id],
  );
  return rows[0]!;
}

const productCallback = (id: number, createdAt = 1_780_000_000) => ({
  created_at: createdAt,
  store_id: "1025646",
  producer: "stores/retry1",
  scope: "store/product/updated",
  hash: crypto.randomUUID(),
  data: { type: "product", id },
});

beforeAll(async () => {
  shopId = (await installShop(database().prisma, { platform: "shopify", domain: "retries.myshopify.com" })).id;
  storeId = (await installShop(database().prisma, { platform: "bigcommerce", domain: "stores/retry1" })).id;
});

describe("retries and dead letters", () => {
  it("retries a failing event with exponential backoff and jitter, then dead-letters it with its attempt history", async () => {
    const id = await store({ topic: "store/product/updated", payload: productCallback(167) });
    bigCommerce.failNext = 100;
    const now = new Date("2026-01-01T10:00:00Z");
    // Full jitter: the delay is random in [0, base * 2^(attempt-1)); random = 0.5 gives half the ceiling.
    expect(await processDueRows(worker({ random: () => 0.5, now: () => now, backoff: { baseDelayMs: 1000, maxDelayMs: 60_000 } }))).toBe(1);
    const first = await database().sql.query<{ attempt: number; retry_at: Date; error: string }>(`SELECT attempt, retry_at, error FROM webhook_attempt WHERE inbox_id = $1::bigint`, [id]);
    expect(first).toEqual([{ attempt: 1, retry_at: new Date(now.getTime() + 500), error: expect.stringContaining("simulated BigCommerce outage") }]);
    expect(await row(id)).toMatchObject({ state: "pending", attempts: 1 });

    // Due again at once (the retry time above is in the past of the database's clock).
    expect(await processDueRows(worker({ random: () => 0.5, now: () => now, backoff: { baseDelayMs: 1000, maxDelayMs: 60_000 } }))).toBe(1);
    const second = await database().sql.query<{ retry_at: Date }>(`SELECT retry_at FROM webhook_attempt WHERE inbox_id = $1::bigint AND attempt = 2`, [id]);
    expect(second[0]!.retry_at).toEqual(new Date(now.getTime() + 1000));

    expect(await processDueRows(worker())).toBe(1);
    expect(await row(id)).toMatchObject({ state: "dead", attempts: 3, last_error: expect.stringContaining("outage") });
    const history = await database().sql.query<{ attempt: number; retry_at: Date | null }>(`SELECT attempt, retry_at FROM webhook_attempt WHERE inbox_id = $1::bigint ORDER BY attempt`, [id]);
    expect(history.map((attempt) => [attempt.attempt, attempt.retry_at === null])).toEqual([[1, false], [2, false], [3, true]]);
    expect((await metrics.counts()).deadLetters).toBeGreaterThanOrEqual(1);
    const [letter] = await listDeadLetters(database().sql, { topic: "store/product/updated", shopId: storeId });
    expect(letter).toMatchObject({ id, shopDomain: "stores/retry1", attempts: 3, lastError: expect.stringContaining("outage") });
    expect(letter!.history.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
    expect(JSON.parse(letter!.payload)).toMatchObject({ scope: "store/product/updated", data: { id: 167 } });
    expect(await processDueRows(worker())).toBe(0);
  });

  it("a row failing inside the batch transaction rolls the batch back, then only that row fails: the others are applied", async () => {
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE state IN ('pending', 'dead')`);
    const good = [
      await store({ platform: "shopify", topic: "inventory_levels/update", payload: shopifyPayload("inventory_levels/update", { inventory_item_id: 901, location_id: 9, available: 4 }) }),
      await store({ platform: "shopify", topic: "locations/update", payload: shopifyPayload("locations/update", { id: 9, name: "Annex" }) }),
    ];
    const bad = await store({ platform: "shopify", topic: "products/update", payload: shopifyPayload("products/update", { id: 5, variants: [{ id: 51, sku: "BAD-PRICE", price: "free!" }] }) });
    expect(await processDueRows(worker())).toBe(3);
    for (const id of good) expect((await row(id)).state).toBe("processed");
    expect(await row(bad)).toMatchObject({ state: "pending", attempts: 1, last_error: expect.stringContaining("numeric") });
    expect(await database().sql.query(`SELECT l.on_hand, o.name FROM inventory_level l JOIN location o ON o.id = l.location_id WHERE l.shop_id = $1 AND o.external_id = 'gid://shopify/Location/9'`, [shopId])).toEqual([{ on_hand: 4, name: "Annex" }]);
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE id = $1::bigint`, [bad]);
  });

  it("dead-letters an unreadable payload at once (waiting will not fix it)", async () => {
    const id = await store({ platform: "shopify", topic: "inventory_levels/update", payload: { location_id: 1 } });
    await processDueRows(worker());
    expect(await row(id)).toMatchObject({ state: "dead", attempts: 1, last_error: expect.stringContaining("inventory_item_id") });
  });

  it("replays one, many (by topic / shop / time range) or all dead letters through the same pipeline, audited with who asked", async () => {
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE state = 'dead'`);
    bigCommerce.failNext = 1000;
    const ids = [await store({ topic: "store/product/updated", payload: productCallback(1) }), await store({ topic: "store/product/updated", payload: productCallback(2) })];
    const shopifyId = await store({ platform: "shopify", topic: "inventory_levels/update", payload: { location_id: 3 } });
    for (let round = 0; round < 3; round++) await processDueRows(worker());
    for (const id of [...ids, shopifyId]) expect((await row(id)).state).toBe("dead");

    bigCommerce.failNext = 0;
    bigCommerce.products.set("1", { id: "1", name: "Mug", visible: true, dateModified: new Date(), variants: [{ id: "11", sku: "MUG-1", price: "9.50", title: "Mug" }] });
    bigCommerce.products.set("2", { id: "2", name: "Cup", visible: false, dateModified: new Date(), variants: [{ id: "21", sku: "CUP-1", price: "4.00", title: "Cup" }] });

    const single = await replayDeadLetters(database().sql, { selection: { ids: [ids[0]!] }, requestedBy: "staff:ana@example.com", reason: "BigCommerce API back" });
    expect(single.inboxIds).toEqual([ids[0]]);
    const byFilter = await replayDeadLetters(database().sql, { selection: { topic: "store/product/updated", shopId: storeId, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) }, requestedBy: "staff:ben" });
    expect(byFilter.inboxIds).toEqual([ids[1]]);
    await processDueRows(worker());
    expect(await row(ids[0]!)).toMatchObject({ state: "processed", replay_count: 1 });
    expect(await row(ids[1]!)).toMatchObject({ state: "processed", replay_count: 1 });
    expect(await database().sql.query(`SELECT title, status FROM product WHERE shop_id = $1 ORDER BY external_id`, [storeId])).toEqual([
      { title: "Mug", status: "active" },
      { title: "Cup", status: "draft" },
    ]);
    expect(await database().sql.query(`SELECT sku, price::text AS price FROM variant WHERE shop_id = $1 ORDER BY sku`, [storeId])).toEqual([
      { sku: "CUP-1", price: "4.0000" },
      { sku: "MUG-1", price: "9.5000" },
    ]);
    // The attempt history survives the replay.
    expect(await database().sql.query(`SELECT count(*)::int AS n FROM webhook_attempt WHERE inbox_id = $1::bigint`, [ids[0]])).toEqual([{ n: 3 }]);

    const all = await replayDeadLetters(database().sql, { selection: {}, requestedBy: "cli:ops" });
    expect(all.inboxIds).toEqual([shopifyId]);
    const audit = await database().sql.query<{ requested_by: string; reason: string; selection: Record<string, unknown>; inbox_ids: string[] }>(
      `SELECT requested_by, reason, selection, inbox_ids::text[] AS inbox_ids FROM webhook_replay ORDER BY created_at, requested_by`,
    );
    expect(audit).toEqual([
      { requested_by: "staff:ana@example.com", reason: "BigCommerce API back", selection: { ids: [ids[0]] }, inbox_ids: [ids[0]] },
      expect.objectContaining({ requested_by: "staff:ben", selection: expect.objectContaining({ topic: "store/product/updated", shopId: storeId }), inbox_ids: [ids[1]] }),
      { requested_by: "cli:ops", reason: "", selection: {}, inbox_ids: [shopifyId] },
    ]);
    await expect(replayDeadLetters(database().sql, { selection: {}, requestedBy: " " })).rejects.toMatchObject({ status: 400 });
  });
});

describe("a database that does not answer", () => {
  it("gets a 503 before the platform's own timeout, never a hang", async () => {
    const hanging = { query: () => new Promise<never>(() => undefined) };
    const inbox = createInbox({ sql: hanging, metrics, timeoutMs: 50 });
    const delivery = { platform: "shopify" as const, shopDomain: "retries.myshopify.com", topic: "inventory_levels/update", deliveryId: crypto.randomUUID(), payload: "{}", receivedAt: new Date() };
    await expect(inbox.store(delivery)).rejects.toMatchObject({ status: 503, code: "inbox_unavailable" });
    // Deliveries queued behind the stuck write get their 503 too.
    await expect(inbox.store({ ...delivery, deliveryId: crypto.randomUUID() })).rejects.toMatchObject({ status: 503 });
  });
});

describe("retention", () => {
  it("purges processed and skipped deliveries older than the cut-off, never dead letters or pending ones", async () => {
    const states = ["processed", "skipped", "dead", "pending"];
    const ids: string[] = [];
    for (const state of states) {
      const id = await store({ platform: "shopify", topic: "inventory_levels/update", payload: { inventory_item_id: 1, location_id: 1 } });
      await database().sql.query(`UPDATE webhook_inbox SET state = $2::"WebhookState", stored_at = now() - interval '30 days', run_at = now() + interval '1 day' WHERE id = $1::bigint`, [id, state]);
      ids.push(id);
    }
    const recent = await store({ platform: "shopify", topic: "inventory_levels/update", payload: { inventory_item_id: 1, location_id: 1 } });
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE id = $1::bigint`, [recent]);
    expect(await purgeInboxRows(database().sql, new Date(Date.now() - 14 * 86_400_000))).toBeGreaterThanOrEqual(2);
    const left = await database().sql.query<{ id: string }>(`SELECT id::text FROM webhook_inbox WHERE id = ANY($1::bigint[])`, [[...ids, recent]]);
    expect(left.map((row) => row.id).sort()).toEqual([ids[2], ids[3], recent].sort());
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE id = ANY($1::bigint[])`, [[ids[2], ids[3]]]);
  });
});

describe("leases", () => {
  it("two workers never hold the same row; an expired lease hands the row to another worker, and the first one's late completion is refused", async () => {
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE state IN ('pending', 'dead')`);
    const id = await store({ platform: "shopify", topic: "inventory_levels/update", payload: shopifyPayload("inventory_levels/update", { inventory_item_id: 77, location_id: 7, available: 5 }) });
    const [claimedByA] = await claimInboxRows(database().sql, "worker-a", 10, 30_000);
    expect(claimedByA!.id).toBe(id);
    expect(await claimInboxRows(database().sql, "worker-b", 10, 30_000)).toEqual([]);

    // worker-a stalls past its lease (as if it had died).
    await database().sql.query(`UPDATE webhook_inbox SET locked_until = now() - interval '1 second' WHERE id = $1::bigint`, [id]);
    expect(await processDueRows(worker({ workerId: "worker-b" }))).toBe(1);
    expect(await row(id)).toMatchObject({ state: "processed", attempts: 2, locked_by: "worker-b" });
    expect(await completeInboxRows(database().sql, "worker-a", { processed: [id] })).toBe(0);
    expect(await database().sql.query(`SELECT l.on_hand FROM inventory_level l JOIN variant v ON v.id = l.variant_id WHERE l.shop_id = $1 AND v.inventory_item_external_id = 'gid://shopify/InventoryItem/77'`, [shopId])).toEqual([{ on_hand: 5 }]);
  });
});

describe("slow read-backs", () => {
  it("a batch whose read-back outlasts half the lease renews the lease before applying", async () => {
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE state IN ('pending', 'dead')`);
    bigCommerce.failNext = 0;
    bigCommerce.products.set("301", { id: "301", name: "Slow", visible: true, dateModified: new Date(), variants: [] });
    const id = await store({ topic: "store/product/updated", payload: productCallback(301) });
    let elapsedMs = 0;
    const slowReader: BigCommerceReader = {
      getProduct: async (storeHash, productId) => {
        // The read-back takes 10 s of a 1 s lease: the lease has run out when it returns.
        await database().sql.query(`UPDATE webhook_inbox SET locked_until = now() - interval '1 second' WHERE id = $1::bigint`, [id]);
        elapsedMs = 10_000;
        return bigCommerce.getProduct(storeHash, productId);
      },
      getInventoryLevels: (storeHash, query) => bigCommerce.getInventoryLevels(storeHash, query),
      getOrder: (storeHash, orderId) => bigCommerce.getOrder(storeHash, orderId),
      getRefunds: (storeHash, orderId) => bigCommerce.getRefunds(storeHash, orderId),
    };
    const leaseValidWhenApplying: boolean[] = [];
    const observed: Sql = {
      ...database().sql,
      transaction: async (work) => {
        const [lease] = await database().sql.query<{ valid: boolean }>(`SELECT locked_until > now() AS valid FROM webhook_inbox WHERE id = $1::bigint`, [id]);
        leaseValidWhenApplying.push(lease!.valid);
        return database().sql.transaction(work);
      },
    };
    const start = Date.now();
    await processDueRows(worker({ sql: observed, bigCommerce: slowReader, leaseMs: 1000, now: () => new Date(start + elapsedMs) }));
    expect(leaseValidWhenApplying).toEqual([true]);
    expect(await row(id)).toMatchObject({ state: "processed", attempts: 1, locked_by: "worker-a" });
  });

  it("a long batch of read-backs renews the leases of the rows still waiting, before each would run out", async () => {
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE state IN ('pending', 'dead')`);
    bigCommerce.failNext = 0;
    for (const id of ["302", "303", "304"]) bigCommerce.products.set(id, { id, name: "Slow", visible: true, dateModified: new Date(), variants: [] });
    const ids = [await store({ topic: "store/product/updated", payload: productCallback(302) }), await store({ topic: "store/product/updated", payload: productCallback(303) }), await store({ topic: "store/product/updated", payload: productCallback(304) })];
    let elapsedMs = 0;
    const validWhenRead: boolean[] = [];
    const slowReader: BigCommerceReader = {
      getProduct: async (storeHash, productId) => {
        const [waiting] = await database().sql.query<{ valid: boolean }>(`SELECT bool_and(locked_until > now()) AS valid FROM webhook_inbox WHERE id = ANY($1::bigint[])`, [ids]);
        validWhenRead.push(waiting!.valid);
        // Each read-back takes 10 s of a 1 s lease: every lease of the batch has run out when it returns.
        await database().sql.query(`UPDATE webhook_inbox SET locked_until = now() - interval '1 second' WHERE id = ANY($1::bigint[])`, [ids]);
        elapsedMs += 10_000;
        return bigCommerce.getProduct(storeHash, productId);
      },
      getInventoryLevels: (storeHash, query) => bigCommerce.getInventoryLevels(storeHash, query),
      getOrder: (storeHash, orderId) => bigCommerce.getOrder(storeHash, orderId),
      getRefunds: (storeHash, orderId) => bigCommerce.getRefunds(storeHash, orderId),
    };
    const start = Date.now();
    expect(await processDueRows(worker({ bigCommerce: slowReader, leaseMs: 1000, now: () => new Date(start + elapsedMs) }), 3)).toBe(3);
    expect(validWhenRead).toEqual([true, true, true]);
    for (const id of ids) expect(await row(id)).toMatchObject({ state: "processed", attempts: 1, locked_by: "worker-a" });
  });
});

describe("BigCommerce scopes, read back through the API", () => {
  it("inventory, orders (created, cancelled), refunds and uninstall become domain events and state", async () => {
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE state IN ('pending', 'dead')`);
    bigCommerce.failNext = 0;
    bigCommerce.setLevel("11", "1", 12, "MUG-1");
    bigCommerce.setLevel("11", "2", 3, "MUG-1");
    bigCommerce.orders.set("100", { id: "100", status: "Awaiting Fulfillment", cartId: "bc-cart-1", customerId: "42", currency: "USD", totalIncTax: "19.00", paymentStatus: "captured", dateModified: new Date(), lineItems: [{ id: "500", variantId: "11", sku: "MUG-1", quantity: 2 }] });
    bigCommerce.refunds.set("100", [{ id: "9", orderId: "100", createdAt: new Date(), items: [{ lineItemId: "500", quantity: 1 }] }]);
    const callback = (scope: string, data: Record<string, unknown>, createdAt: number) => ({ created_at: createdAt, store_id: "1025646", producer: "stores/retry1", scope, hash: crypto.randomUUID(), data });
    await store({ topic: "store/sku/inventory/updated", payload: callback("store/sku/inventory/updated", { type: "sku", id: 11, inventory: { product_id: 1, variant_id: 11, method: "absolute", value: 12 } }, 1_780_000_100) });
    await store({ topic: "store/order/created", payload: callback("store/order/created", { type: "order", id: 100 }, 1_780_000_100) });
    await store({ topic: "store/order/refund/created", payload: callback("store/order/refund/created", { type: "order", id: 100, refund: { refund_id: 9 } }, 1_780_000_200) });
    await processDueRows(worker());
    expect(await database().sql.query(`SELECT o.external_id AS location, l.on_hand FROM inventory_level l JOIN location o ON o.id = l.location_id JOIN variant v ON v.id = l.variant_id WHERE l.shop_id = $1 AND v.external_id = '11' ORDER BY o.external_id`, [storeId])).toEqual([
      { location: "1", on_hand: 12 },
      { location: "2", on_hand: 3 },
    ]);
    expect(await database().sql.query(`SELECT cart_token, customer_external_id, cancelled, refunds ? '9' AS refunded FROM platform_order WHERE shop_id = $1`, [storeId])).toEqual([
      { cart_token: "bc-cart-1", customer_external_id: "42", cancelled: false, refunded: true },
    ]);

    bigCommerce.orders.get("100")!.status = "Cancelled";
    await store({ topic: "store/order/statusUpdated", payload: callback("store/order/statusUpdated", { type: "order", id: 100, status: { previous_status_id: 11, new_status_id: 5 } }, 1_780_000_300) });
    await store({ topic: "store/product/deleted", payload: callback("store/product/deleted", { type: "product", id: 2 }, 1_780_000_300) });
    await store({ topic: "store/app/uninstalled", payload: callback("store/app/uninstalled", {}, Math.floor(Date.now() / 1000) + 5) });
    await processDueRows(worker());
    expect(await database().sql.query(`SELECT cancelled FROM platform_order WHERE shop_id = $1`, [storeId])).toEqual([{ cancelled: true }]);
    expect(await database().sql.query(`SELECT status FROM product WHERE shop_id = $1 AND external_id = '2'`, [storeId])).toEqual([{ status: "deleted" }]);
    expect(await database().sql.query(`SELECT install_state::text FROM shop WHERE id = $1`, [storeId])).toEqual([{ install_state: "uninstalled" }]);
  });
});
