import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../app/audit/audit.server";
import { openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createTestDestination, ENCRYPTION_KEY, memoryReceiver, seedShop } from "../batching/pipelineFixture";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { startProcess } from "../helpers/process";

// `npm run destinations -- dead-letters|replay|shadow-events` run as the operator runs them: the
// script in its own process against a database it reaches by URL (PostgreSQL on every run: an
// in-memory database is not reachable from another process; the embedded one is below).
let db: TestDatabase;
let shopId: string;
let live: string;
let shadow: string;
const dead: string[] = [];
let pending: string;

const receiver = memoryReceiver();
const ordersAdapter = { ...receiver.adapter, deliverEvent: async () => {} };
const UNKNOWN = "0b6f7c9e-1d2a-4c3b-9e8f-7a6b5c4d3e2f";

async function cli(args: string[], env: Record<string, string> = { DATABASE_URL: db.url! }) {
  const started = startProcess("scripts/destinations.ts", args, { LOCKSTEP_ENCRYPTION_KEY: ENCRYPTION_KEY, ...env });
  const code = await started.exited;
  return { code, output: started.output() };
}

function jsonOf(output: string): unknown {
  return JSON.parse(output.slice(output.search(/^[[{]/m)));
}

async function stateOf(id: string): Promise<string> {
  return (await db.sql.query<{ state: string }>(`SELECT state::text FROM destination_event WHERE id = $1::bigint`, [id]))[0]!.state;
}

beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  ({ shopId } = await seedShop(db, 1));
  live = (await createTestDestination(db, ordersAdapter, shopId, { name: "WMS", receives: ["orders"] })).id;
  shadow = (await createTestDestination(db, ordersAdapter, shopId, { name: "Fraud", receives: ["orders"], mode: "shadow" })).id;
  const rows = await db.sql.query<{ id: string }>(
    `INSERT INTO destination_event (destination_id, shop_id, order_key, event_type, event, state, attempts, last_error, dead_at)
     VALUES ($1, $2, 'O-1', 'OrderCreated', '{}', 'dead', 8, 'HTTP 500', now()),
            ($1, $2, 'O-2', 'OrderCreated', '{}', 'dead', 8, 'HTTP 410', now()),
            ($1, $2, 'O-1', 'OrderUpdated', '{}', 'pending', 0, NULL, NULL)
     RETURNING id::text AS id`,
    [live, shopId],
  );
  dead.push(rows[0]!.id, rows[1]!.id);
  pending = rows[2]!.id;
  await db.sql.query(
    `INSERT INTO shadow_order_event (destination_id, shop_id, order_key, type, body)
     VALUES ($1, $2, 'O-9', 'OrderCreated', '{"type": "order.created", "timestamp": "2026-12-01T12:00:00.000Z", "data": {"orderExternalId": "O-9"}}')`,
    [shadow, shopId],
  );
}, 120_000);

afterAll(async () => {
  await db?.close();
});

describe("npm run destinations -- dead-letters", () => {
  it("lists the destination's dead order events with how many wait behind each", async () => {
    const { code, output } = await cli(["dead-letters", live]);
    expect(code, output).toBe(0);
    const letters = jsonOf(output) as Array<{ id: string; orderKey: string; lastError: string; waitingBehind: number }>;
    expect(letters.map((letter) => [letter.id, letter.orderKey, letter.lastError, letter.waitingBehind]).sort()).toEqual(
      [
        [dead[0], "O-1", "HTTP 500", 1],
        [dead[1], "O-2", "HTTP 410", 0],
      ].sort(),
    );
  }, 120_000);

  it("refuses an unknown destination, a malformed id and a bad --limit with a clear error and exit code 1", async () => {
    const [unknown, malformed, limit] = await Promise.all([cli(["dead-letters", UNKNOWN]), cli(["dead-letters", "not-an-id"]), cli(["dead-letters", live, "--limit", "0"])]);
    expect(unknown.code, unknown.output).toBe(1);
    expect(unknown.output).toContain(`No destination ${UNKNOWN}`);
    expect(malformed.code, malformed.output).toBe(1);
    expect(malformed.output).toContain("dead-letters needs a destination id");
    expect(limit.code, limit.output).toBe(1);
    expect(limit.output).toContain("--limit takes a whole number from 1 to 10000");
  }, 120_000);
});

describe("npm run destinations -- replay", () => {
  it("refuses a malformed event id, an event that is not dead and an unknown destination, replaying nothing", async () => {
    const [malformed, notDead, unknown] = await Promise.all([
      cli(["replay", live, "--event", "abc"]),
      cli(["replay", live, "--event", dead[0]!, "--event", `oe_${pending}`]),
      cli(["replay", UNKNOWN, "--event", dead[0]!]),
    ]);
    expect(malformed.code, malformed.output).toBe(1);
    expect(malformed.output).toContain("--event abc: an order event id is a number");
    expect(notDead.code, notDead.output).toBe(1);
    expect(notDead.output).toContain(`--event ${pending}: not a dead order event of destination ${live}`);
    expect(unknown.code, unknown.output).toBe(1);
    expect(unknown.output).toContain(`No destination ${UNKNOWN}`);
    // Nothing half-done: the dead event named beside the bad one is still dead, nothing audited.
    expect(await stateOf(dead[0]!)).toBe("dead");
    expect(await listAudit(db.sql, shopId, {})).toEqual([]);
  }, 120_000);

  it("puts the named dead event back in the queue, audited as the CLI, and leaves the other dead", async () => {
    const { code, output } = await cli(["replay", live, "--event", `oe_${dead[0]}`]);
    expect(code, output).toBe(0);
    expect(jsonOf(output)).toEqual({ replayed: [dead[0]] });
    expect(await stateOf(dead[0]!)).toBe("pending");
    expect(await stateOf(dead[1]!)).toBe("dead");
    const [entry] = await listAudit(db.sql, shopId, {});
    expect(entry).toMatchObject({ actor: "cli", action: "order_events.replay", target: live, after: { events: [dead[0]] } });
  }, 120_000);
});

describe("npm run destinations -- shadow-events", () => {
  it("lists what a shadow destination would have been sent", async () => {
    const { code, output } = await cli(["shadow-events", shadow]);
    expect(code, output).toBe(0);
    expect(jsonOf(output)).toEqual([expect.objectContaining({ orderKey: "O-9", type: "OrderCreated", body: expect.objectContaining({ type: "order.created", data: { orderExternalId: "O-9" } }) })]);
  }, 120_000);

  it("refuses an unknown destination and a malformed id with a clear error and exit code 1", async () => {
    const [unknown, malformed] = await Promise.all([cli(["shadow-events", UNKNOWN]), cli(["shadow-events", "12345"])]);
    expect(unknown.code, unknown.output).toBe(1);
    expect(unknown.output).toContain(`No destination ${UNKNOWN}`);
    expect(malformed.code, malformed.output).toBe(1);
    expect(malformed.output).toContain("shadow-events needs a destination id");
  }, 120_000);
});

describe("with the embedded database", () => {
  it("runs only with --server-stopped, then lists from the data directory", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "lockstep-cli-"));
    try {
      const embedded = await openDatabase({ dataDir });
      let destination: string;
      try {
        await applyMigrations(embedded.sql);
        const shop = await seedShop(embedded, 1);
        destination = (await createTestDestination(embedded, ordersAdapter, shop.shopId, { receives: ["orders"], mode: "shadow" })).id;
      } finally {
        await embedded.close();
      }
      const env = { LOCKSTEP_DATA_DIR: dataDir };
      const refused = await cli(["shadow-events", destination], env);
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output).toContain("stop the server first and pass --server-stopped");
      const listed = await cli(["shadow-events", destination, "--server-stopped"], env);
      expect(listed.code, listed.output).toBe(0);
      expect(jsonOf(listed.output)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
