import { afterAll, beforeAll, expect, it } from "vitest";
import { requestRun } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import { type Database, openDatabase } from "../../app/db/database.server";
import { applyInTransaction, createTestDestination, memoryReceiver, pipelineDeps, priceChange, seedShop } from "../batching/pipelineFixture";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";

// Two processes' worth of connections to one PostgreSQL database: each "process" has its own pool,
// as `npm run worker` processes do. A destination's run must never overlap itself.
let db: TestDatabase;
let other: Database;
beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  other = await openDatabase({ databaseUrl: db.url!, poolSize: 4 });
});
afterAll(async () => {
  await other.close();
  await db.close();
});

it("never runs one destination in two processes at once; a crashed holder's run is resumed after its lease expires", async () => {
  const shop = await seedShop(db, 20);
  const receiver = memoryReceiver();
  const destination = await createTestDestination(db, receiver.adapter, shop.shopId);
  await applyInTransaction(db, Array.from({ length: 20 }, (_, i) => priceChange(shop.shopId, i + 1, "4.00", new Date(Date.UTC(2026, 11, 1)))));
  const clock = { now: new Date(Date.UTC(2026, 11, 1, 12)) };

  // Process A holds the run part-way (its receiver waits on a gate).
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  receiver.beforeChunk = async () => {
    holding();
    await gate;
  };
  const first = runDueDestination(pipelineDeps(db, receiver.adapter, clock, "process-a"));
  await held;

  // Process B asks at the same time, twice, even with a "sync now" pending: nothing for it.
  const b = pipelineDeps(other, receiver.adapter, clock, "process-b");
  const [one, two] = await Promise.all([runDueDestination(b), runDueDestination(b)]);
  expect(one).toBeUndefined();
  expect(two).toBeUndefined();
  await requestRun(other.sql, undefined, destination.id, "sync_now");
  expect(await runDueDestination(b)).toBeUndefined();

  openGate();
  receiver.beforeChunk = undefined;
  expect((await first)?.status).toBe("succeeded");
  expect(receiver.applied).toHaveLength(20);
  // A's request-free run left B's "sync now" for the next run, which B now takes.
  expect((await runDueDestination(b))?.reason).toBe("sync_now");

  // A crashed holder: its lease stays until it expires, then B resumes the unfinished run.
  await applyInTransaction(db, [priceChange(shop.shopId, 1, "5.00", new Date(Date.UTC(2026, 11, 1, 1)))]);
  await db.sql.query(
    `UPDATE destination SET lease_owner = 'crashed', lease_until = $2, requested_run = 'sync_now' WHERE id = $1`,
    [destination.id, new Date(clock.now.getTime() + 30_000).toISOString()],
  );
  await db.sql.query(
    `INSERT INTO destination_run (destination_id, shop_id, reason, mode, watermark_from, watermark_to)
     SELECT id, shop_id, 'schedule', mode, watermark, (SELECT max(id) FROM change_record WHERE shop_id = $2) FROM destination WHERE id = $1`,
    [destination.id, shop.shopId],
  );
  expect(await runDueDestination(b)).toBeUndefined();
  clock.now = new Date(clock.now.getTime() + 31_000);
  const resumed = await runDueDestination(b);
  expect(resumed).toMatchObject({ reason: "schedule", status: "succeeded" });
  expect(receiver.held.get("price:SKU-1")).toEqual({ price: "5.0000" });
  const runs = await db.sql.query<{ attempts: number }>(`SELECT attempts FROM destination_run WHERE id = $1::bigint`, [resumed!.runId]);
  expect(runs[0]!.attempts).toBe(2);
});
