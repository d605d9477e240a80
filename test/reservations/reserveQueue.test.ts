import { describe, expect, it, vi } from "vitest";
import type { SqlRunner } from "../../app/db/database.server";
import { createReserveQueue } from "../../app/reservations/reserveQueue.server";
import { createHolds } from "../../app/reservations/sql/createHolds";
import type { ReserveRequest, ReserveResult } from "../../app/reservations/sql/reserve";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, type StockShop } from "./stockFixture";

// The queue under the reservation engine: a lone request runs alone; requests arriving while
// calls are running leave together as one batch (one transaction). Each request in a batch keeps
// its own all-or-none answer.
const getDb = useTestDatabase();

/** The time of every request here; the stock is reported at that moment, so it is fresh. */
const NOW = new Date("2026-11-27T10:00:00Z");

async function shopWith(items: { sku: string; stock: number[] }[]): Promise<StockShop> {
  const shop = await seedStockShop(getDb(), items, NOW);
  await createHolds(getDb().sql, { shopId: shop.shopId, holds: [...shop.variants.values()].map((variant_id) => ({ variant_id, scope: "all" })) });
  return shop;
}

const request = (shop: StockShop, key: string, lines: { sku: string; quantity: number }[]): ReserveRequest => ({
  shopId: shop.shopId,
  key,
  lines,
  locationId: null,
  now: NOW,
  ttlSeconds: 600,
});

/** A runner that counts the batch calls and can make the next ones fail. */
function spied(sql: SqlRunner, failBatchesWith?: { code: string }) {
  const seen = { single: 0, batch: 0 };
  const runner: SqlRunner = {
    async query<Row>(text: string, params?: unknown[]) {
      if (text.includes("lockstep_reserve_batch(")) {
        seen.batch++;
        if (failBatchesWith) throw Object.assign(new Error("injected"), failBatchesWith);
      } else if (text.includes("lockstep_reserve(")) seen.single++;
      return sql.query<Row>(text, params);
    },
  };
  return { runner, seen };
}

/** A runner whose lone reservation calls wait until `open()`: the queue's line forms behind them. */
function gated(sql: SqlRunner) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const keys: string[] = [];
  const runner: SqlRunner = {
    async query<Row>(text: string, params?: unknown[]) {
      if (text.includes("lockstep_reserve(")) {
        keys.push(params![1] as string);
        await gate;
      }
      if (text.includes("lockstep_reserve_batch(")) keys.push("batch");
      return sql.query<Row>(text, params);
    },
  };
  return { runner, keys, open };
}

describe("the reservation queue", () => {
  it("runs a lone request alone and coalesces the ones that arrive while it runs", async () => {
    const shop = await shopWith([{ sku: "A", stock: [100, 0] }, { sku: "B", stock: [100, 0] }]);
    const { runner, seen } = spied(getDb().sql);
    const queue = createReserveQueue(runner, { maxInFlight: 1 });

    const alone = await queue.run(request(shop, "alone", [{ sku: "A", quantity: 1 }]));
    expect(alone.applied).toBe(true);
    expect(seen).toEqual({ single: 1, batch: 0 });
    // The lane is given back one event-loop turn after the answer (so follow-ups can gather).
    await new Promise((resolve) => setImmediate(resolve));

    const results = await Promise.all(Array.from({ length: 21 }, (_, i) => queue.run(request(shop, `cart-${i}`, [{ sku: i % 2 ? "A" : "B", quantity: 2 }]))));
    // The first goes alone; the twenty that queued behind it leave as one batch.
    expect(seen).toEqual({ single: 2, batch: 1 });
    expect(queue.stats()).toMatchObject({ batches: 1, batchedRequests: 20 });
    expect(results.every((r) => r.applied && r.created)).toBe(true);
    expect(results.map((r) => r.reservation!.key)).toEqual(Array.from({ length: 21 }, (_, i) => `cart-${i}`));
    const held = await heldUnits(getDb(), shop.shopId);
    expect(held.get("A")).toBe(1 + 10 * 2);
    expect(held.get("B")).toBe(11 * 2);
  });

  it("answers every request of a batch on its own: refusals with shortages, all lines or none, the same key adjusted", async () => {
    const shop = await shopWith([{ sku: "FEW", stock: [3, 0] }, { sku: "MANY", stock: [50, 0] }]);
    const { runner, seen } = spied(getDb().sql);
    const queue = createReserveQueue(runner, { maxInFlight: 1 });
    const first = queue.run(request(shop, "opener", [{ sku: "MANY", quantity: 1 }]));
    const batch = [
      queue.run(request(shop, "one", [{ sku: "FEW", quantity: 2 }])),
      queue.run(request(shop, "two", [{ sku: "MANY", quantity: 5 }, { sku: "FEW", quantity: 2 }])), // FEW short: nothing held
      queue.run(request(shop, "three", [{ sku: "FEW", quantity: 1 }])),
      queue.run(request(shop, "one", [{ sku: "FEW", quantity: 1 }, { sku: "MANY", quantity: 3 }])), // the same cart, changed
    ];
    const [opened, ...answers] = await Promise.all([first, ...batch]);
    expect(seen.batch).toBe(1);
    expect(opened!.applied).toBe(true);
    const [one, two, three, oneAgain] = answers as ReserveResult[];
    expect(one!.applied).toBe(true);
    expect(two!.applied).toBe(false);
    expect(two!.shortages).toEqual([{ sku: "FEW", requested: 2, available: 1 }]);
    expect(three!.applied).toBe(true);
    expect(oneAgain!.applied).toBe(true);
    expect(oneAgain!.created).toBe(false);
    expect(oneAgain!.reservation!.id).toBe(one!.reservation!.id);
    const held = await heldUnits(getDb(), shop.shopId);
    expect(held.get("FEW")).toBe(2); // "one" now holds 1, "three" 1
    expect(held.get("MANY")).toBe(1 + 3);
    expect(await getDb().sql.query(`SELECT key FROM reservation WHERE shop_id = $1 ORDER BY key`, [shop.shopId])).toEqual([
      { key: "one" },
      { key: "opener" },
      { key: "three" },
    ]);
  });

  it("runs a batch's requests again one by one when the batch loses a race it cannot settle, and nothing of it is kept", async () => {
    const shop = await shopWith([{ sku: "A", stock: [10, 0] }]);
    const { runner, seen } = spied(getDb().sql, { code: "40P01" });
    const queue = createReserveQueue(runner, { maxInFlight: 1 });
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => queue.run(request(shop, `k-${i}`, [{ sku: "A", quantity: 1 }]))));
    expect(results.every((r) => r.applied)).toBe(true);
    expect(seen).toEqual({ single: 4, batch: 1 });
    expect(queue.stats().ranAloneAfterBatch).toBe(3);
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(4);
  });

  it("fails every request of a batch with the batch's error when running them again cannot help", async () => {
    const shop = await shopWith([{ sku: "A", stock: [10, 0] }]);
    const { runner } = spied(getDb().sql, { code: "57014" });
    const queue = createReserveQueue(runner, { maxInFlight: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => queue.run(request(shop, `k-${i}`, [{ sku: "A", quantity: 1 }]))));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "57014" });
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(1);
  });

  it("keeps each batch to one shop", async () => {
    const first = await shopWith([{ sku: "A", stock: [10, 0] }]);
    const second = await shopWith([{ sku: "A", stock: [10, 0] }]);
    const { runner, seen } = spied(getDb().sql);
    const queue = createReserveQueue(runner, { maxInFlight: 1 });
    const results = await Promise.all([
      queue.run(request(first, "opener", [{ sku: "A", quantity: 1 }])),
      ...[first, second, first, second].map((shop, i) => queue.run(request(shop, `k-${i}`, [{ sku: "A", quantity: 1 }]))),
    ]);
    expect(results.every((r) => r.applied)).toBe(true);
    expect(seen.batch).toBe(2);
    expect(results.map((r) => r.reservation!.shop_id)).toEqual([first, first, second, first, second].map((s) => s.shopId));
    expect((await heldUnits(getDb(), first.shopId)).get("A")).toBe(3);
    expect((await heldUnits(getDb(), second.shopId)).get("A")).toBe(2);
  });

  it("runs a batch again one by one when the database refuses one request's data: that one fails alone", async () => {
    const shop = await shopWith([{ sku: "A", stock: [10, 0] }]);
    const { runner, seen } = spied(getDb().sql);
    const queue = createReserveQueue(runner, { maxInFlight: 1 });
    // NUL in a SKU: the edges refuse it (400); here it reaches the database, which refuses the text.
    const outcomes = await Promise.allSettled([
      queue.run(request(shop, "opener", [{ sku: "A", quantity: 1 }])),
      queue.run(request(shop, "k-1", [{ sku: "A", quantity: 1 }])),
      queue.run(request(shop, "k-bad", [{ sku: "A\u0000", quantity: 1 }])),
      queue.run(request(shop, "k-2", [{ sku: "A", quantity: 2 }])),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(seen.batch).toBe(1);
    expect(queue.stats().ranAloneAfterBatch).toBe(3);
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(4);
    expect((await getDb().sql.query<{ key: string }>(`SELECT key FROM reservation WHERE shop_id = $1 ORDER BY key`, [shop.shopId])).map((r) => r.key)).toEqual(["k-1", "k-2", "opener"]);
  });

  it("refuses a request with 503 and Retry-After once the line is full, and runs the ones it took", async () => {
    const shop = await shopWith([{ sku: "A", stock: [10, 0] }]);
    const { runner, open } = gated(getDb().sql);
    const queue = createReserveQueue(runner, { maxInFlight: 1, maxWaiting: 2 });
    const running = queue.run(request(shop, "running", [{ sku: "A", quantity: 1 }]));
    const waiting = [queue.run(request(shop, "w-1", [{ sku: "A", quantity: 1 }])), queue.run(request(shop, "w-2", [{ sku: "A", quantity: 1 }]))];
    await expect(queue.run(request(shop, "one-too-many", [{ sku: "A", quantity: 1 }]))).rejects.toMatchObject({
      code: "reservations_busy",
      status: 503,
      details: { retryAfterSeconds: 1 },
    });
    expect(queue.stats().refusedBusy).toBe(1);
    open();
    expect((await Promise.all([running, ...waiting])).every((r) => r.applied)).toBe(true);
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(3);
  });

  it("drops a waiting request whose caller went away: it never runs and holds nothing", async () => {
    const shop = await shopWith([{ sku: "A", stock: [10, 0] }]);
    const { runner, keys, open } = gated(getDb().sql);
    const queue = createReserveQueue(runner, { maxInFlight: 1 });
    const running = queue.run(request(shop, "running", [{ sku: "A", quantity: 1 }]));
    const shopperLeft = new AbortController();
    const abandoned = queue.run(request(shop, "left", [{ sku: "A", quantity: 5 }]), shopperLeft.signal);
    const stayed = queue.run(request(shop, "stayed", [{ sku: "A", quantity: 1 }]), new AbortController().signal);
    await vi.waitFor(() => expect(keys).toEqual(["running"]));
    shopperLeft.abort();
    await expect(abandoned).rejects.toMatchObject({ code: "request_abandoned" });
    open();
    expect((await running).applied).toBe(true);
    expect((await stayed).applied).toBe(true);
    expect(keys).toEqual(["running", "stayed"]);
    expect(queue.stats().abandoned).toBe(1);
    expect((await heldUnits(getDb(), shop.shopId)).get("A")).toBe(2);
    // Already gone before it was queued: never queued.
    await expect(queue.run(request(shop, "gone", [{ sku: "A", quantity: 1 }]), AbortSignal.abort())).rejects.toMatchObject({ code: "request_abandoned" });
  });
});
