import { randomUUID } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Sql } from "../../app/db/database.server";
import { subscribeToPlatformEvents } from "../../app/reservations/orderEvents.server";
import { createApiTokenChanges } from "../../app/shops/shops.server";
import { createInbox } from "../../app/webhooks/inbox.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { claimInboxRows } from "../../app/webhooks/sql/claimInboxRows";
import { claimOutboxRows } from "../../app/webhooks/sql/claimOutboxRows";
import { listDeadLetters } from "../../app/webhooks/sql/listDeadLetters";
import { createSubscribers } from "../../app/webhooks/subscribers.server";
import { makeDueOwedCalls, processDueRows, type WebhookWorkerOptions } from "../../app/webhooks/workerLoop.server";
import { shopifyPayload } from "../../simulators/webhooks/shopify";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, type StockServices, type StockShop, stockServices } from "../reservations/stockFixture";

const database = useTestDatabase();
const realClock = { date: () => new Date(), now: () => Date.now() };
let shop: StockShop;
let stock: StockServices;
const cleanups: Array<() => void> = [];
// The process's subscribers (app/context.server.ts holds one list): every worker below calls them.
const subscribers = createSubscribers();
const apiTokens = createApiTokenChanges();

function worker(overrides: Partial<WebhookWorkerOptions> = {}): WebhookWorkerOptions {
  return { sql: database().sql, workerId: `worker-${randomUUID().slice(0, 8)}`, metrics: new WebhookMetrics(), subscribers, maxAttempts: 3, leaseMs: 30_000, random: () => 0, ...overrides };
}

async function storeOrder(topic: "orders/create" | "orders/cancelled", id: number, cartToken: string): Promise<string> {
  const inbox = createInbox({ sql: database().sql, metrics: new WebhookMetrics() });
  const outcome = await inbox.store({
    platform: "shopify",
    shopDomain: shop.domain,
    topic,
    deliveryId: randomUUID(),
    payload: JSON.stringify(shopifyPayload(topic, { id, cart_token: cartToken, checkout_token: null, line_items: [] })),
    receivedAt: new Date(),
  });
  if (outcome.kind !== "stored") throw new Error(outcome.kind);
  return outcome.inboxId;
}

async function outboxRows() {
  return database().sql.query<{ state: string; attempts: number; lease_expiries: number; last_error: string | null; type: string }>(
    `SELECT state::text, attempts, lease_expiries, last_error, event->>'type' AS type FROM webhook_outbox ORDER BY id`,
  );
}

/** A database through which every transaction commits and then "crashes" the worker before it goes on. */
function crashingAfterCommit(sql: Sql): Sql {
  return {
    ...sql,
    transaction: async (work) => {
      await sql.transaction(work);
      throw new Error("the worker died right after the commit");
    },
  };
}

beforeAll(async () => {
  shop = await seedStockShop(database(), [{ sku: "A", stock: [10, 0] }], new Date(Date.now() - 60_000));
  stock = stockServices(database(), realClock);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await database().sql.query(`DELETE FROM webhook_outbox`);
});

describe("subscriber calls owed through the outbox", () => {
  it("a worker dying between the commit and the subscribers: the next worker commits the cart's hold, once", async () => {
    cleanups.push(subscribeToPlatformEvents(subscribers, { db: database(), ...stock, apiTokens }));
    const hold = await stock.reservations.reserve(shop.shopId, { key: "cart-outbox-1", lines: [{ sku: "A", quantity: 2 }] });
    const inboxId = await storeOrder("orders/create", 1001, "cart-outbox-1");

    await processDueRows(worker({ sql: crashingAfterCommit(database().sql), workerId: "dies", leaseMs: 1000 }));
    // The order is applied and its row complete, but the hold was never committed...
    expect(await database().sql.query(`SELECT state::text FROM webhook_inbox WHERE id = $1::bigint`, [inboxId])).toEqual([{ state: "processed" }]);
    expect(await stock.reservations.get(shop.shopId, hold.reservation.id)).toMatchObject({ status: "active" });
    // ...and the call is owed, leased to the dead worker.
    expect(await outboxRows()).toEqual([{ state: "processing", attempts: 1, lease_expiries: 0, last_error: null, type: "OrderCreated" }]);

    const survivor = worker();
    await vi.waitFor(async () => expect(await makeDueOwedCalls(survivor)).toBe(1), { timeout: 15_000, interval: 100 });
    expect(await stock.reservations.get(shop.shopId, hold.reservation.id)).toMatchObject({ status: "committed", orderId: "gid://shopify/Order/1001" });
    expect(await outboxRows()).toEqual([]);
    expect(await makeDueOwedCalls(survivor)).toBe(0);
  });

  it("a subscriber that throws is called again (backoff), idempotently: the cancelled order's hold is released once", async () => {
    cleanups.push(subscribeToPlatformEvents(subscribers, { db: database(), ...stock, apiTokens }));
    let failures = 0;
    cleanups.push(
      subscribers.onApplied("OrderCancelled", () => {
        if (failures++ === 0) throw new Error("cache away for a moment");
      }),
    );
    const hold = await stock.reservations.reserve(shop.shopId, { key: "cart-outbox-2", lines: [{ sku: "A", quantity: 3 }] });
    await storeOrder("orders/cancelled", 1002, "cart-outbox-2");
    const options = worker();
    await processDueRows(options);
    expect(await outboxRows()).toEqual([{ state: "pending", attempts: 1, lease_expiries: 0, last_error: "cache away for a moment", type: "OrderCancelled" }]);
    // Full jitter with random() = 0: due again at once.
    expect(await makeDueOwedCalls(options)).toBe(1);
    expect(failures).toBe(2);
    expect(await outboxRows()).toEqual([]);
    expect(await stock.reservations.get(shop.shopId, hold.reservation.id)).toMatchObject({ status: "released", releaseReason: "order_cancelled" });
    expect((await heldUnits(database(), shop.shopId)).get("A") ?? 0).toBe(0);
  });

  it("a subscriber that keeps failing: the owed call becomes a dead letter after the attempts, with the error", async () => {
    cleanups.push(
      subscribers.onApplied("OrderCreated", () => {
        throw new Error("never works");
      }),
    );
    await storeOrder("orders/create", 1003, "cart-outbox-3");
    const options = worker({ maxAttempts: 2 });
    await processDueRows(options);
    expect(await makeDueOwedCalls(options)).toBe(1);
    expect(await outboxRows()).toEqual([{ state: "dead", attempts: 2, lease_expiries: 0, last_error: "never works", type: "OrderCreated" }]);
    expect(await makeDueOwedCalls(options)).toBe(0);
  });

  it("events nobody subscribes to owe nothing (no outbox row on the hot path)", async () => {
    await storeOrder("orders/create", 1004, "cart-outbox-4");
    await processDueRows(worker());
    expect(await outboxRows()).toEqual([]);
  });
});

describe("a row that kills its worker", () => {
  it("becomes a dead letter with the reason after N lease expiries, instead of being claimed forever", async () => {
    const inboxId = await storeOrder("orders/create", 1005, "cart-poison");
    const leaseRanOut = async () => {
      await vi.waitFor(async () => {
        const [row] = await database().sql.query<{ expired: boolean }>(`SELECT locked_until < now() AS expired FROM webhook_inbox WHERE id = $1::bigint`, [inboxId]);
        expect(row!.expired).toBe(true);
      });
    };
    // Each worker claims the row, then dies on it (never completes, never records a failure).
    for (let claim = 1; claim <= 3; claim++) {
      expect((await claimInboxRows(database().sql, `doomed-${claim}`, 10, 1, 3)).map((row) => row.id)).toEqual([inboxId]);
      await leaseRanOut();
    }
    expect(await claimInboxRows(database().sql, "doomed-4", 10, 1, 3)).toEqual([]);
    const [row] = await database().sql.query(`SELECT state::text, attempts, lease_expiries, locked_by FROM webhook_inbox WHERE id = $1::bigint`, [inboxId]);
    expect(row).toEqual({ state: "dead", attempts: 3, lease_expiries: 3, locked_by: null });
    const [dead] = await listDeadLetters(database().sql, { shopId: shop.shopId });
    expect(dead).toMatchObject({ id: inboxId, lastError: "lease_expired: its worker stopped without finishing it 3 times" });
    expect(dead!.history).toMatchObject([{ attempt: 3, workerId: "doomed-3", error: "lease_expired: its worker stopped without finishing it 3 times", retryAt: null }]);
    expect(await processDueRows(worker())).toBe(0);
  });

  it("the same holds for an owed subscriber call", async () => {
    cleanups.push(subscribers.onApplied("OrderCreated", () => undefined));
    await storeOrder("orders/create", 1006, "cart-poison-call");
    await processDueRows(worker({ sql: crashingAfterCommit(database().sql), workerId: "dies", leaseMs: 1000 }));
    // Workers keep claiming it and dying on it (a lease of 1 ms runs out at once).
    await vi.waitFor(
      async () => {
        await claimOutboxRows(database().sql, "doomed-call", 10, 1, 2);
        expect((await outboxRows())[0]!.state).toBe("dead");
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(await outboxRows()).toEqual([{ state: "dead", attempts: 2, lease_expiries: 2, last_error: "lease_expired: its worker stopped without finishing it 2 times", type: "OrderCreated" }]);
  });
});
