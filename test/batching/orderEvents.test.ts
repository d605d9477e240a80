import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { createDestination } from "../../app/batching/destinations.server";
import {
  deliverDueOrderEvents,
  listOrderEventDeadLetters,
  listShadowOrderEvents,
  type OrderEventDeliveryOptions,
  replayOrderEvents,
  startOrderEventDelivery,
} from "../../app/batching/orderEvents.server";
import { listAudit } from "../../app/audit/audit.server";
import { claimOrderEvents } from "../../app/batching/sql/claimOrderEvents";
import { pruneShadowOrderEvents } from "../../app/batching/sql/pruneShadowOrderEvents";
import { erpHttpAdapter } from "../../app/destinations/erpHttp.server";
import { sftpFilesAdapter } from "../../app/destinations/sftp/adapter.server";
import { createLimiterRegistry, type LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import type { DomainEvent } from "../../app/events/domainEvents";
import type { DestinationSimulator } from "../../simulators/destination/endpoint";
import { startErpSimulator } from "../../simulators/erp";
import { applyInTransaction, createTestDestination, ENCRYPTION_KEY, seedShop } from "./pipelineFixture";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

// Real-time fan-out of order events to destinations that receive orders: queued with the applied
// event, delivered in order per order, signed (Standard Webhooks), retried, dead-lettered, replayed.
let db: TestDatabase;
let erp: DestinationSimulator;
let registry: LimiterRegistry;
const SECRET = "whsec_b3JkZXItZXZlbnRzLXNpZ25pbmctc2VjcmV0";
const outgoing: Array<{ headers: Record<string, string>; body: string }> = [];
const recordingFetch: typeof fetch = async (input, init) => {
  if (String(input).endsWith("/events")) {
    outgoing.push({ headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v])), body: String(init?.body ?? "") });
  }
  return fetch(input, init);
};
// The circuit stays closed unless a test says otherwise: attempts and dead letters are the queue's.
const adapter = (failureThreshold = 1_000, callAttempts = 2) =>
  erpHttpAdapter({ registry, fetch: recordingFetch, retry: { maxAttempts: callAttempts, baseDelayMs: 1, maxDelayMs: 2 }, breaker: { failureThreshold, openMs: 60_000 } });
const WAIT = { timeout: 20_000, interval: 20 };

beforeAll(async () => {
  db = await createTestDatabase();
  erp = await startErpSimulator({ limits: { ratePerSecond: 10_000, burst: 10_000, retryAfterSeconds: 0 }, signingSecret: SECRET, latencyMs: 2 });
  registry = createLimiterRegistry();
});
afterAll(async () => {
  await registry.close();
  await erp.close();
  await db.close();
});
beforeEach(async () => {
  outgoing.length = 0;
  erp.setDown(false);
  // Each test's shop and destination are its own; earlier tests' leftovers must not be delivered.
  await db.sql.query(`DELETE FROM destination_event`);
});

function delivery(workerId: string, extra: Partial<OrderEventDeliveryOptions> = {}): OrderEventDeliveryOptions {
  return { sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter()]), workerId, backoff: { baseDelayMs: 1, maxDelayMs: 2 }, ...extra };
}

async function orderShop(extra: Record<string, unknown> = {}) {
  const shop = await seedShop(db, 1);
  const destination = await createTestDestination(db, adapter(), shop.shopId, { endpoint: erp.url, signingSecret: SECRET, receives: ["orders"], ...extra });
  return { shopId: shop.shopId, destination };
}

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, seconds));
const created = (shopId: string, order: string): DomainEvent => ({ type: "OrderCreated", shopId, occurredAt: at(0), orderExternalId: order, currency: "EUR", totalPrice: "10.00", lineItems: [{ sku: "SKU-1", quantity: 1 }] });
const updated = (shopId: string, order: string, step: number): DomainEvent => ({ type: "OrderUpdated", shopId, occurredAt: at(step), orderExternalId: order, financialStatus: `step-${step}` });

/** The events the ERP accepted (each once: repeats of a webhook-id are dropped by its Idempotency-Key check), per order. */
function receivedByOrder(): Map<string, string[]> {
  const byOrder = new Map<string, string[]>();
  for (const request of erp.received) {
    if (request.path !== "/events") continue;
    const body = request.body as { type: string; data: { orderExternalId: string; financialStatus?: string } };
    const list = byOrder.get(body.data.orderExternalId) ?? [];
    list.push(body.type === "order.created" ? "created" : (body.data.financialStatus ?? body.type));
    byOrder.set(body.data.orderExternalId, list);
  }
  return byOrder;
}

async function queued(shopId: string) {
  return db.sql.query<{ state: string; attempts: number; last_error: string | null }>(`SELECT state::text, attempts, last_error FROM destination_event WHERE shop_id = $1 ORDER BY id`, [shopId]);
}

describe("order event fan-out", () => {
  it("delivers every order's events once each, in order per order, with three workers at once, signed with Standard Webhooks headers", async () => {
    const { shopId } = await orderShop();
    const orders = Array.from({ length: 6 }, (_, i) => `O${i + 1}-${shopId.slice(0, 8)}`);
    // Interleaved across orders and across transactions, the way webhook batches arrive.
    await applyInTransaction(db, orders.map((order) => created(shopId, order)));
    for (let step = 1; step <= 4; step++) await applyInTransaction(db, orders.map((order) => updated(shopId, order, step)));
    expect(await queued(shopId)).toHaveLength(30);

    const workers = ["w1", "w2", "w3"].map((id) => delivery(id, { batchSize: 4 }));
    const drain = async (options: OrderEventDeliveryOptions) => {
      while ((await deliverDueOrderEvents(options)) > 0);
    };
    await vi.waitFor(async () => {
      await Promise.all(workers.map(drain));
      expect(await queued(shopId)).toEqual([]);
    }, WAIT);

    const byOrder = receivedByOrder();
    for (const order of orders) expect(byOrder.get(order)).toEqual(["created", "step-1", "step-2", "step-3", "step-4"]);
    const signed = outgoing.filter((request) => request.body.includes(shopId));
    expect(signed.length).toBeGreaterThanOrEqual(30);
    for (const request of signed) {
      // Any Standard Webhooks library verifies it with the destination's secret; the id is the idempotency key.
      expect(() => new Webhook(SECRET).verify(request.body, request.headers)).not.toThrow();
      expect(request.headers["idempotency-key"]).toBe(request.headers["webhook-id"]);
    }
  });

  it("retries a failed delivery with backoff and delivers it, the order's next event waiting behind it", async () => {
    const { shopId } = await orderShop();
    const order = `R-${shopId.slice(0, 8)}`;
    await applyInTransaction(db, [created(shopId, order), updated(shopId, order, 1)]);
    erp.setDown(true);
    expect(await deliverDueOrderEvents(delivery("w1"))).toBe(1);
    const [first, second] = await queued(shopId);
    expect(first).toMatchObject({ state: "pending", attempts: 1 });
    expect(first!.last_error).toMatch(/503/);
    expect(second).toMatchObject({ state: "pending", attempts: 0 });
    expect(receivedByOrder().get(order)).toBeUndefined();

    erp.setDown(false);
    await vi.waitFor(async () => {
      await deliverDueOrderEvents(delivery("w1"));
      expect(await queued(shopId)).toEqual([]);
    }, WAIT);
    expect(receivedByOrder().get(order)).toEqual(["created", "step-1"]);
  });

  it("dead-letters an event after its attempts (and at once when refused), holds the order's later events, and a replay delivers them in order", async () => {
    const { shopId, destination } = await orderShop();
    const order = `D-${shopId.slice(0, 8)}`;
    const other = `E-${shopId.slice(0, 8)}`;
    await applyInTransaction(db, [created(shopId, order), updated(shopId, order, 1), created(shopId, other)]);
    erp.setDown(true);
    const options = delivery("w1", { maxAttempts: 2 });
    await vi.waitFor(async () => {
      await deliverDueOrderEvents(options);
      expect((await queued(shopId)).filter((row) => row.state === "dead")).toHaveLength(2);
    }, WAIT);
    const dead = await listOrderEventDeadLetters(db.sql, { destinationId: destination.id });
    expect(dead.map((letter) => [letter.orderKey, letter.eventType, letter.attempts, letter.waitingBehind]).sort()).toEqual([
      [order, "OrderCreated", 2, 1],
      [other, "OrderCreated", 2, 0],
    ]);
    expect(dead[0]!.lastError).toMatch(/503/);

    // Up again: nothing moves by itself, the order's update stays behind its dead creation.
    erp.setDown(false);
    expect(await deliverDueOrderEvents(options)).toBe(0);
    expect(receivedByOrder().get(order)).toBeUndefined();

    const replayed = await replayOrderEvents(db.sql, { destinationId: destination.id, ids: [dead.find((letter) => letter.orderKey === order)!.id], actor: "ops@example.com" });
    expect(replayed).toHaveLength(1);
    // The replay is audited with who and which events; a replay that finds nothing dead records nothing.
    expect(await listAudit(db.sql, shopId, { action: "order_events.replay" })).toEqual([
      expect.objectContaining({ actor: "ops@example.com", target: destination.id, after: { events: replayed } }),
    ]);
    expect(await replayOrderEvents(db.sql, { destinationId: destination.id, ids: replayed, actor: "ops@example.com" })).toEqual([]);
    expect(await listAudit(db.sql, shopId, { action: "order_events.replay" })).toHaveLength(1);
    await vi.waitFor(async () => {
      await deliverDueOrderEvents(options);
      expect(await queued(shopId)).toEqual([expect.objectContaining({ state: "dead" })]);
    }, WAIT);
    expect(receivedByOrder().get(order)).toEqual(["created", "step-1"]);

    // A receiver that refuses an event (4xx) is not asked again: dead at the first attempt, with its answer.
    erp.injectFault("http400");
    await applyInTransaction(db, [updated(shopId, order, 2)]);
    await deliverDueOrderEvents(options);
    const refused = (await queued(shopId)).at(-1)!;
    expect(refused).toMatchObject({ state: "dead", attempts: 1 });
    expect(refused.last_error).toMatch(/outbound_rejected: .*400/);
  });

  it("loses nothing when a worker dies holding events: once its lease runs out another worker delivers them", async () => {
    const { shopId } = await orderShop();
    const order = `K-${shopId.slice(0, 8)}`;
    await applyInTransaction(db, [created(shopId, order), updated(shopId, order, 1)]);
    // Worker A claims the order's head and is killed before delivering it.
    const held = await claimOrderEvents(db.sql, "killed-worker", 10, 300, 5);
    expect(held.map((row) => row.orderKey)).toEqual([order]);
    // While the lease holds, nobody else takes the head or overtakes it with the next event.
    expect(await deliverDueOrderEvents(delivery("w2"))).toBe(0);
    await vi.waitFor(async () => {
      await deliverDueOrderEvents(delivery("w2"));
      expect(await queued(shopId)).toEqual([]);
    }, WAIT);
    expect(receivedByOrder().get(order)).toEqual(["created", "step-1"]);
  });

  it("sends a shadow destination nothing and records what it would have been sent, pruned after its retention", async () => {
    const shop = await seedShop(db, 1);
    const shadow = await createTestDestination(db, adapter(), shop.shopId, { endpoint: erp.url, signingSecret: SECRET, receives: ["orders"], mode: "shadow" });
    const order = `S-${shop.shopId.slice(0, 8)}`;
    await applyInTransaction(db, [created(shop.shopId, order), updated(shop.shopId, order, 1)]);
    expect(await queued(shop.shopId)).toEqual([]);
    expect(await deliverDueOrderEvents(delivery("w1"))).toBe(0);
    expect(erp.received.filter((request) => JSON.stringify(request.body ?? "").includes(order))).toEqual([]);
    const recorded = await listShadowOrderEvents(db.sql, shadow.id);
    expect(recorded.map((event) => [event.orderKey, event.type])).toEqual([
      [order, "order.updated"],
      [order, "order.created"],
    ]);
    expect(recorded[1]!.body).toEqual({ type: "order.created", timestamp: at(0).toISOString(), data: expect.objectContaining({ orderExternalId: order, totalPrice: "10.00" }) });
    // Within the retention (30 days) they stay; after it they go.
    expect(await pruneShadowOrderEvents(db.sql, shadow.id, new Date(Date.now() + 29 * 86_400_000))).toBe(0);
    expect(await pruneShadowOrderEvents(db.sql, shadow.id, new Date(Date.now() + 31 * 86_400_000))).toBe(2);
    expect(await listShadowOrderEvents(db.sql, shadow.id)).toEqual([]);
  });

  it("queues nothing when the applying transaction dies, nor for shadow destinations or ones that do not receive orders", async () => {
    const { shopId } = await orderShop();
    await createTestDestination(db, adapter(), shopId, { name: "Shadow", endpoint: erp.url, receives: ["orders"], mode: "shadow" });
    await createTestDestination(db, adapter(), shopId, { name: "Prices", endpoint: erp.url, receives: ["price"] });
    const { applyEvents } = await import("../../app/webhooks/consumers.server");
    await expect(
      db.sql.transaction(async (tx) => {
        await applyEvents(tx, [{ event: created(shopId, "X"), inboxId: "1" }]);
        throw new Error("worker killed before the commit");
      }),
    ).rejects.toThrow("worker killed");
    expect(await queued(shopId)).toEqual([]);
    await applyInTransaction(db, [created(shopId, "X")]);
    expect(await queued(shopId)).toHaveLength(1);
  });

  it("refuses order events for a kind that cannot deliver them in real time", async () => {
    const shop = await seedShop(db, 1);
    const deps = { sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter(), sftpFilesAdapter]) };
    await expect(
      createDestination(deps, shop.shopId, { name: "Drop", kind: "sftp_files", endpoint: "sftp://127.0.0.1:22/in", receives: ["orders"], options: { format: "csv" } }),
    ).rejects.toMatchObject({ status: 400, code: "invalid_destination", details: { field: "receives" } });
  });

  it("does not count an attempt the destination's open circuit stopped: the event waits for the circuit's probe", async () => {
    const { shopId, destination } = await orderShop();
    const options = { ...delivery("w1", { maxAttempts: 1 }), adapters: adapterRegistry([adapter(1, 1)]) };
    await applyInTransaction(db, [created(shopId, `C1-${shopId.slice(0, 8)}`), created(shopId, `C2-${shopId.slice(0, 8)}`)]);
    erp.setDown(true);
    // One at a time: the first call fails and opens the circuit, the second is never sent.
    await deliverDueOrderEvents({ ...options, batchSize: 1 });
    await deliverDueOrderEvents({ ...options, batchSize: 1 });
    const [first, second] = await queued(shopId);
    expect(first).toMatchObject({ state: "dead", attempts: 1 });
    expect(second).toMatchObject({ state: "pending", attempts: 0 });
    expect(second!.last_error).toMatch(/^circuit_open/);
    const [due] = await db.sql.query<{ later: boolean }>(`SELECT run_at > now() + interval '30 seconds' AS later FROM destination_event WHERE shop_id = $1 AND state = 'pending'`, [shopId]);
    expect(due!.later).toBe(true);
    expect(await listOrderEventDeadLetters(db.sql, { destinationId: destination.id })).toHaveLength(1);
  });

  it("runs as background work and stops cleanly", async () => {
    const { shopId } = await orderShop();
    await applyInTransaction(db, [created(shopId, `B-${shopId.slice(0, 8)}`)]);
    const stop = startOrderEventDelivery(delivery("background", { pollMs: 20 }));
    try {
      await vi.waitFor(async () => expect(await queued(shopId)).toEqual([]), WAIT);
    } finally {
      await stop();
    }
  });
});
