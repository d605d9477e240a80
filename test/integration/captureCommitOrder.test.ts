import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestRun } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import type { DestinationAdapter } from "../../app/batching/types";
import { applyEvents } from "../../app/webhooks/consumers.server";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { applyInTransaction, createTestDestination, memoryReceiver, pipelineDeps, priceChange, seedShop } from "../batching/pipelineFixture";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
});
afterAll(async () => {
  await db.close();
});

const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 12, minutes));

async function syncNow(adapter: DestinationAdapter, destinationId: string, clock = { now: at(0) }) {
  await requestRun(db.sql, undefined, destinationId, "sync_now");
  return runDueDestination(pipelineDeps(db, adapter, clock));
}

describe("ranges and commit order", () => {
  const waitingForALock = async () =>
    (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`))[0]!.n > 0;

  // Change ids come from a sequence, handed out when a capture inserts, but transactions commit in
  // their own order: a run that fixed its range at the newest committed id while a capture holding a
  // lower one was still open moved the watermark past that change, which no run then sent (the
  // chaos run's "not pushed": the ERP kept an older version). Two connections: PostgreSQL (this file runs on it in both test passes).
  it("a change committed after a run fixed its range, with a lower id than the range's end, still goes", async () => {
    const shop = await seedShop(db, 2);
    const receiver = memoryReceiver();
    const destination = await createTestDestination(db, receiver.adapter, shop.shopId);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let captured!: () => void;
    const capturedFirst = new Promise<void>((resolve) => (captured = resolve));
    // SKU-1's change takes its id first and commits last.
    const slow = db.sql.transaction(async (tx) => {
      await applyEvents(tx, [{ event: priceChange(shop.shopId, 1, "5.00", at(1)), inboxId: "1" }]);
      captured();
      await held;
    });
    await capturedFirst;
    await applyInTransaction(db, [priceChange(shop.shopId, 2, "6.00", at(1))]);
    const run = syncNow(receiver.adapter, destination.id, { now: at(1) });
    // The run either finishes or waits for the open capture (it must not fix its range past it); then the capture commits.
    let settled = false;
    void run.finally(() => (settled = true)).catch(() => undefined);
    while (!settled && !(await waitingForALock())) await new Promise((resolve) => setImmediate(resolve));
    release();
    await slow;
    expect(await run).toMatchObject({ status: "succeeded" });
    await syncNow(receiver.adapter, destination.id, { now: at(2) });
    expect(receiver.held.get("price:SKU-1")).toEqual({ price: "5.0000" });
    expect(receiver.held.get("price:SKU-2")).toEqual({ price: "6.0000" });
  });
});
