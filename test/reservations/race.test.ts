import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LockstepError } from "../../app/config/errors";
import type { Database } from "../../app/db/database.server";
import { createTestDatabase, POSTGRES_URL, withDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, stockServices } from "./stockFixture";
import { manualClock } from "../helpers/clock";

// A reservation plans from a snapshot and locks its hold rows only in its last step, a conditional
// UPDATE. Here another transaction holds such a row while the reservation waits on it, and
// changes it before letting go: the reservation must see the change, never the snapshot. Two
// connections racing need PostgreSQL (the embedded database runs one statement at a time), so
// this file runs on the machine's server on every run.

let db: Database;
let holder: pg.Client;
/** The lockFirst argument of every lockstep_reserve call, in order. */
const lockFirstCalls: boolean[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  const query = db.sql.query.bind(db.sql);
  db.sql.query = (async (text: string, params?: unknown[]) => {
    if (text.includes("lockstep_reserve(")) lockFirstCalls.push(params![7] as boolean);
    return query(text, params);
  }) as typeof db.sql.query;
  const name = (await db.sql.query<{ name: string }>(`SELECT current_database() AS name`))[0]!.name;
  holder = new pg.Client({ connectionString: withDatabase(POSTGRES_URL, name) });
  await holder.connect();
});

afterAll(async () => {
  await holder?.end();
  await db?.close();
});

/** Holds the item's pooled hold row in a transaction of its own until `change` runs and commits. */
async function holdRowWhile(variantId: string, reserve: () => Promise<unknown>, change: string): Promise<PromiseSettledResult<unknown>> {
  await holder.query("BEGIN");
  await holder.query(`SELECT 1 FROM stock_hold WHERE variant_id = $1 AND scope = 'all' FOR UPDATE`, [variantId]);
  const pending = reserve().then(
    (value) => ({ status: "fulfilled" as const, value }),
    (reason: unknown) => ({ status: "rejected" as const, reason }),
  );
  // The reservation has planned and now waits for the row in its conditional UPDATE.
  await vi.waitFor(
    async () => {
      const waiting = await holder.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      expect(waiting.rows[0].n).toBe(1);
    },
    { timeout: 10_000, interval: 20 },
  );
  await holder.query(change, [variantId]);
  await holder.query("COMMIT");
  return pending;
}

describe("a reservation racing another transaction for the same hold row", () => {
  it("is refused with the right shortage when the last unit goes to the other while it waits, and writes nothing", async () => {
    const clock = manualClock();
    const shop = await seedStockShop(db, [{ sku: "LAST", stock: [1, 0] }], clock.date());
    const { reservations } = stockServices(db, clock);
    const first = await reservations.reserve(shop.shopId, { key: "creates-the-hold-row", lines: [{ sku: "LAST", quantity: 1 }] });
    await reservations.release(shop.shopId, first.reservation.id);
    lockFirstCalls.length = 0;

    const outcome = await holdRowWhile(
      shop.variants.get("LAST")!,
      () => reservations.reserve(shop.shopId, { key: "late", lines: [{ sku: "LAST", quantity: 1 }] }),
      `UPDATE stock_hold SET reserved = reserved + 1 WHERE variant_id = $1 AND scope = 'all'`,
    );

    expect(outcome.status).toBe("rejected");
    const error = (outcome as PromiseRejectedResult).reason as LockstepError;
    expect(error).toBeInstanceOf(LockstepError);
    expect(error.status).toBe(409);
    expect(error.details).toEqual({ shortages: [{ sku: "LAST", requested: 1, available: 0 }] });
    // The snapshot said yes, the row said no: undone and planned again with the row locked first.
    expect(lockFirstCalls).toEqual([false, true]);
    expect(await db.sql.query(`SELECT reserved FROM stock_hold WHERE variant_id = $1`, [shop.variants.get("LAST")])).toEqual([{ reserved: 1 }]);
    expect(await db.sql.query(`SELECT id FROM reservation WHERE shop_id = $1 AND key = 'late'`, [shop.shopId])).toEqual([]);
  });

  it("counts an order committed while it waits (the row's pending list changed) and holds what is still there", async () => {
    const clock = manualClock();
    const shop = await seedStockShop(db, [{ sku: "TWO", stock: [2, 0] }], clock.date());
    const { reservations } = stockServices(db, clock);
    const first = await reservations.reserve(shop.shopId, { key: "creates-the-hold-row", lines: [{ sku: "TWO", quantity: 1 }] });
    await reservations.release(shop.shopId, first.reservation.id);
    lockFirstCalls.length = 0;

    // Another checkout's order lands while the reservation waits: one unit committed, not yet in the platform's numbers.
    const orderedAt = new Date(clock.now() + 1000).toISOString();
    const late = await holdRowWhile(
      shop.variants.get("TWO")!,
      () => reservations.reserve(shop.shopId, { key: "late", lines: [{ sku: "TWO", quantity: 1 }] }),
      `UPDATE stock_hold SET pending = pending || jsonb_build_array(jsonb_build_object('o', 'order-1', 'q', 1, 'at', '${orderedAt}'::text))
       WHERE variant_id = $1 AND scope = 'all'`,
    );
    expect(late.status).toBe("fulfilled");
    expect(lockFirstCalls).toEqual([false, true]);

    // One of two units is committed to the order, one held for "late": nothing is left.
    const after = await reservations.reserve(shop.shopId, { key: "another", lines: [{ sku: "TWO", quantity: 1 }] }).catch((error: LockstepError) => error);
    expect(after).toBeInstanceOf(LockstepError);
    expect((after as LockstepError).details).toEqual({ shortages: [{ sku: "TWO", requested: 1, available: 0 }] });
  });
});

describe("two processes reserving, releasing and committing on the same hot items at once", () => {
  it("never deadlocks, never oversells, and answers every request with a reservation or a 409", async () => {
    const clock = manualClock();
    const skus = Array.from({ length: 10 }, (_, i) => `RUSH-${i}`);
    const shop = await seedStockShop(db, skus.map((sku, i) => ({ sku, stock: [2 + (i % 3), 1] })), clock.date());
    // Orders placed after the platform's last report: their committed units keep counting.
    clock.advance(1000);
    // Two web processes: each its own engine and queue, so their batches meet only in the database.
    const processes = [stockServices(db, clock).reservations, stockServices(db, clock).reservations];
    const outcomes = await Promise.all(
      Array.from({ length: 256 }, async (_, i) => {
        const engine = processes[i % 2]!;
        // Pairs of requests share a cart key across the two processes (a shopper's double submit).
        const key = `cart-${Math.floor(i / 2) % 100}`;
        const lines = [{ sku: skus[i % 10]!, quantity: 1 }, ...(i % 3 === 0 ? [{ sku: skus[(i * 7 + 3) % 10]!, quantity: 1 }] : [])];
        try {
          const { reservation } = await engine.reserve(shop.shopId, { key, lines });
          // Some carts leave, some check out, while the others are still racing.
          if (i % 5 === 0) await engine.release(shop.shopId, reservation.id).catch(() => undefined);
          if (i % 7 === 0) await engine.commit(shop.shopId, reservation.id).catch(() => undefined);
          return "held";
        } catch (error) {
          if (error instanceof LockstepError && error.status === 409) return "refused";
          throw error;
        }
      }),
    );
    // The lock order held: no call was undone by a deadlock or a duplicate key and run again.
    for (const engine of processes) expect(engine.queueStats()).toMatchObject({ retried: 0, ranAloneAfterBatch: 0 });
    expect(processes.reduce((sum, engine) => sum + engine.queueStats().batches, 0)).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === "held").length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === "refused").length).toBeGreaterThan(0);

    const held = await heldUnits(db, shop.shopId);
    const committed = await db.sql.query<{ sku: string; q: number }>(
      `SELECT v.sku, coalesce(sum((e->>'q')::int), 0)::int AS q FROM stock_hold h JOIN variant v ON v.id = h.variant_id
       CROSS JOIN jsonb_array_elements(h.pending) e WHERE h.shop_id = $1 GROUP BY v.sku`,
      [shop.shopId],
    );
    const pending = new Map(committed.map((row) => [row.sku, row.q]));
    for (const [i, sku] of skus.entries()) {
      expect((held.get(sku) ?? 0) + (pending.get(sku) ?? 0), sku).toBeLessThanOrEqual(2 + (i % 3) + 1);
    }
    // The hold rows agree with the reservations that are still active.
    const active = await db.sql.query<{ units: number }>(
      `SELECT coalesce(sum((e->>'q')::int), 0)::int AS units FROM reservation r CROSS JOIN jsonb_array_elements(r.holds) e
       WHERE r.shop_id = $1 AND r.status = 'active'`,
      [shop.shopId],
    );
    expect(active[0]!.units).toBe([...held.values()].reduce((a, b) => a + b, 0));
  });
});
