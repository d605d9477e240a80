import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiTokenChanges, installShop } from "../../app/shops/shops.server";
import { loadConfig } from "../../app/config/config.server";
import { createInbox, createProcessInbox } from "../../app/webhooks/inbox.server";
import { createSubscribers } from "../../app/webhooks/subscribers.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { subscribeToPlatformEvents } from "../../app/reservations/orderEvents.server";
import { makeDueOwedCalls, processDueRows } from "../../app/webhooks/workerLoop.server";
import { shopifyPayload } from "../../simulators/webhooks/shopify";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { startProcess } from "../helpers/process";
import { seedStockShop, stockServices } from "../reservations/stockFixture";
import { until } from "../helpers/expectations";

// Separate worker processes need PostgreSQL: this file always runs on the machine's server.
let db: TestDatabase;
/** Where the worker processes reach the test's database. */
let DATABASE_URL: string;
let shopId: string;

async function storeOrders(count: number, firstId: number): Promise<void> {
  const inbox = createInbox({ sql: db.sql, metrics: new WebhookMetrics(), maxInFlight: 4 });
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      inbox.store({
        platform: "shopify",
        shopDomain: "workers.myshopify.com",
        topic: "orders/create",
        deliveryId: randomUUID(),
        eventId: randomUUID(),
        payload: JSON.stringify(shopifyPayload("orders/create", { id: firstId + i })),
        receivedAt: new Date(),
      }),
    ),
  );
}

/** Polls `check` until it is true, at most `timeoutMs`. */
async function count(text: string, params: unknown[] = []): Promise<number> {
  const rows = await db.sql.query<{ n: number }>(text, params);
  return rows[0]!.n;
}

beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  DATABASE_URL = db.url!;
  shopId = (await installShop(db.prisma, { platform: "shopify", domain: "workers.myshopify.com" })).id;
});

afterAll(async () => {
  await db?.close();
});

// Each test starts worker processes (tsx, a pool, migrations checked): on a loaded 2-core machine that alone took 30 s.
describe("webhook workers on PostgreSQL", { timeout: 180_000 }, () => {
  it("two `npm run worker` processes share one inbox: every event processed exactly once, none missed", async () => {
    const total = 600;
    await storeOrders(total, 1_000_000);
    const env = { DATABASE_URL, LOCKSTEP_WEBHOOK_WORKERS: "2", LOCKSTEP_DEMO_TRAFFIC: "off" };
    const workers = [startProcess("server/worker.ts", [], env), startProcess("server/worker.ts", [], env)];
    try {
      await Promise.all(workers.map((worker) => worker.waitFor(/webhook worker loop/, 30_000)));
      await until(async () => (await count(`SELECT count(*)::int AS n FROM webhook_inbox WHERE state = 'processed'`)) === total, { timeout: 60_000, what: "all rows processed" });
    } finally {
      expect(await Promise.all(workers.map((worker) => worker.stop("SIGTERM")))).toEqual([0, 0]);
    }
    expect(await count(`SELECT count(*)::int AS n FROM webhook_inbox WHERE state <> 'processed' OR attempts <> 1`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM platform_order WHERE shop_id = $1`, [shopId])).toBe(total);
    // Both processes took part (worker ids are host:pid:loop).
    const processes = await db.sql.query<{ pid: string }>(`SELECT DISTINCT split_part(locked_by, ':', 2) AS pid FROM webhook_inbox`);
    expect(processes.map((row) => Number(row.pid)).sort()).toEqual(workers.map((worker) => worker.child.pid).sort());
  });

  it("a worker process idle between polls starts on a delivery stored by a web process at once (LISTEN/NOTIFY)", async () => {
    const env = { DATABASE_URL, LOCKSTEP_WEBHOOK_POLL_MS: "600000" };
    const worker = startProcess("server/worker.ts", [], env);
    try {
      await worker.waitFor(/Listening for new deliveries/, 30_000);
      const inbox = createProcessInbox({ config: loadConfig({ NODE_ENV: "test", DATABASE_URL }), db, metrics: new WebhookMetrics() });
      const outcome = await inbox.store({
        platform: "shopify",
        shopDomain: "workers.myshopify.com",
        topic: "orders/create",
        deliveryId: randomUUID(),
        payload: JSON.stringify(shopifyPayload("orders/create", { id: 777_777 })),
        receivedAt: new Date(),
      });
      expect(outcome.kind).toBe("stored");
      // Without the notification the worker would sleep ten minutes.
      await until(async () => (await count(`SELECT count(*)::int AS n FROM platform_order WHERE external_id = 'gid://shopify/Order/777777'`)) === 1, { timeout: 20_000, what: "the notified worker" });
    } finally {
      expect(await worker.stop("SIGTERM")).toBe(0);
    }
  });

  it("operators list dead letters and replay them from the command line, audited with who asked", async () => {
    const inbox = createInbox({ sql: db.sql, metrics: new WebhookMetrics() });
    const outcome = await inbox.store({ platform: "shopify", shopDomain: "workers.myshopify.com", topic: "inventory_levels/update", deliveryId: randomUUID(), payload: "{}", receivedAt: new Date() });
    if (outcome.kind !== "stored") throw new Error(outcome.kind);
    await processDueRows({ sql: db.sql, workerId: "cli-test", metrics: new WebhookMetrics(), maxAttempts: 1, leaseMs: 30_000 });
    const list = startProcess("server/worker.ts", ["dead-letters", "--shop", "workers.myshopify.com"], { DATABASE_URL });
    expect(await list.exited).toBe(0);
    expect(list.output()).toContain(`${outcome.inboxId}  workers.myshopify.com  inventory_levels/update  attempts 1`);

    const refused = startProcess("server/worker.ts", ["replay", "--topic", "inventory_levels/update"], { DATABASE_URL });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain("--by");
    const replay = startProcess("server/worker.ts", ["replay", "--by", "ops:maria", "--reason", "payload fixed upstream", "--id", outcome.inboxId], { DATABASE_URL });
    expect(await replay.exited).toBe(0);
    expect(replay.output()).toContain(`1 dead letter(s) back in the inbox (${outcome.inboxId})`);
    expect(await db.sql.query(`SELECT state::text FROM webhook_inbox WHERE id = $1::bigint`, [outcome.inboxId])).toEqual([{ state: "pending" }]);
    expect(await db.sql.query(`SELECT requested_by, reason FROM webhook_replay`)).toEqual([{ requested_by: "ops:maria", reason: "payload fixed upstream" }]);
    await db.sql.query(`UPDATE webhook_inbox SET state = 'processed' WHERE id = $1::bigint`, [outcome.inboxId]);
  });

  it("a worker killed with SIGKILL mid-event, holding the lease: nothing it did is kept, and after the lease expires another worker applies the event once", async () => {
    await storeOrders(1, 42);
    const stalling = startProcess("test/webhooks/fixtures/stallingWorker.ts", [], { DATABASE_URL, LEASE_MS: "1000" });
    await stalling.waitFor(/applied, not committed/, 30_000);
    const [held] = await db.sql.query<{ id: string; locked_by: string }>(`SELECT id::text, locked_by FROM webhook_inbox WHERE state = 'processing'`);
    expect(held!.locked_by).toBe(`stalling-${stalling.child.pid}`);
    stalling.child.kill("SIGKILL");
    await stalling.exited;
    expect(await count(`SELECT count(*)::int AS n FROM platform_order WHERE external_id = 'gid://shopify/Order/42'`)).toBe(0);

    const options = { sql: db.sql, workerId: "survivor", metrics: new WebhookMetrics(), maxAttempts: 5, leaseMs: 30_000 };
    await until(async () => (await processDueRows(options)) > 0, { timeout: 15_000, what: "the expired lease to be claimable" });
    const [row] = await db.sql.query(`SELECT state::text, attempts, locked_by FROM webhook_inbox WHERE id = $1::bigint`, [held!.id]);
    expect(row).toEqual({ state: "processed", attempts: 2, locked_by: "survivor" });
    expect(await count(`SELECT count(*)::int AS n FROM platform_order WHERE external_id = 'gid://shopify/Order/42'`)).toBe(1);
  });

  it("a worker killed with SIGKILL after the commit, before its subscriber's effect: another worker still commits the cart's hold, once", async () => {
    const stock = stockServices(db, { date: () => new Date(), now: () => Date.now() });
    const subscribers = createSubscribers();
    const unsubscribe = subscribeToPlatformEvents(subscribers, { db, ...stock, apiTokens: createApiTokenChanges() });
    try {
      const shop = await seedStockShop(db, [{ sku: "KILL", stock: [5, 0] }], new Date(Date.now() - 60_000));
      const hold = await stock.reservations.reserve(shop.shopId, { key: "cart-killed", lines: [{ sku: "KILL", quantity: 1 }] });
      const inbox = createInbox({ sql: db.sql, metrics: new WebhookMetrics() });
      await inbox.store({
        platform: "shopify",
        shopDomain: shop.domain,
        topic: "orders/create",
        deliveryId: randomUUID(),
        payload: JSON.stringify(shopifyPayload("orders/create", { id: 4242, cart_token: "cart-killed", checkout_token: null, line_items: [] })),
        receivedAt: new Date(),
      });
      const dying = startProcess("test/webhooks/fixtures/dyingSubscriber.ts", [], { DATABASE_URL, LEASE_MS: "1000" });
      await dying.waitFor(/committed, subscriber not done/, 30_000);
      dying.child.kill("SIGKILL");
      await dying.exited;
      expect(await count(`SELECT count(*)::int AS n FROM platform_order WHERE external_id = 'gid://shopify/Order/4242'`)).toBe(1);
      expect(await stock.reservations.get(shop.shopId, hold.reservation.id)).toMatchObject({ status: "active" });

      const survivor = { sql: db.sql, workerId: "survivor", metrics: new WebhookMetrics(), subscribers, maxAttempts: 5, leaseMs: 30_000 };
      await until(async () => (await makeDueOwedCalls(survivor)) > 0, { timeout: 15_000, what: "the owed call's lease to run out" });
      expect(await stock.reservations.get(shop.shopId, hold.reservation.id)).toMatchObject({ status: "committed", orderId: "gid://shopify/Order/4242" });
      expect(await count(`SELECT count(*)::int AS n FROM webhook_outbox`)).toBe(0);
      expect(await makeDueOwedCalls(survivor)).toBe(0);
    } finally {
      unsubscribe();
    }
  });
});
