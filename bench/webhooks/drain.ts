// How fast one worker loop applies stored deliveries (claim, apply, complete), on one database:
// `tsx bench/webhooks/drain.ts [postgresql://…]`. Run by run.ts in its own process.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { type Database, openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { installShop } from "../../app/shops/shops.server";
import { createInbox } from "../../app/webhooks/inbox.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { nextBatchSize, processDueRows } from "../../app/webhooks/workerLoop.server";
import { webhookBatchSizes } from "../../app/webhooks/workerPool.server";
import { shopifyPayload } from "../../simulators/webhooks/shopify";
import { BENCH_SHOP } from "./constants";
import { takeTrace, traced } from "./trace";

const EVENTS = Number(process.env.BENCH_DRAIN_EVENTS ?? 2000);
const ITEMS = 500;
const BATCH = process.env.BENCH_DRAIN_BATCH ? Number(process.env.BENCH_DRAIN_BATCH) : undefined;
// How far the loop's claims grow on a backlog (default on PostgreSQL: the workers' own; else no growth).
const MAX_BATCH = process.env.BENCH_DRAIN_MAX_BATCH ? Number(process.env.BENCH_DRAIN_MAX_BATCH) : undefined;
const serverUrl = process.argv[2];

async function admin(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

let db: Database;
let cleanup: () => Promise<void>;
if (serverUrl) {
  const name = `lockstep_bench_drain_${process.pid}`;
  await admin(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  db = await openDatabase({ databaseUrl: url.toString() });
  cleanup = async () => {
    await db.close();
    await admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
} else {
  const dataDir = mkdtempSync(path.join(tmpdir(), "lockstep-bench-drain-"));
  db = await openDatabase({ dataDir });
  cleanup = async () => {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
try {
  await applyMigrations(db.sql);
  await installShop(db.prisma, { platform: "shopify", domain: BENCH_SHOP });
  const inbox = createInbox({ sql: db.sql, metrics: new WebhookMetrics(), maxInFlight: serverUrl ? 8 : 1, queueLimit: EVENTS });
  const batchSize = BATCH ?? 50;
  const maxBatchSize = MAX_BATCH ?? (serverUrl ? webhookBatchSizes("postgres").maxBatchSize : batchSize);
  const options = { sql: process.env.BENCH_TRACE ? traced(db.sql) : db.sql, workerId: "bench", metrics: new WebhookMetrics(), maxAttempts: 3, leaseMs: 60_000, batchSize, maxBatchSize };
  let at = Date.now();
  /** Stores `count` deliveries (item i % ITEMS at location i % 5, each newer than the last), then times one loop applying them all. */
  const storeAndDrain = async (count: number): Promise<{ events: number; perSecond: number }> => {
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        inbox.store({
          platform: "shopify",
          shopDomain: BENCH_SHOP,
          topic: "inventory_levels/update",
          deliveryId: randomUUID(),
          eventId: randomUUID(),
          payload: JSON.stringify(shopifyPayload("inventory_levels/update", { inventory_item_id: 1000 + (i % ITEMS), location_id: 1 + (i % 5), available: i % 40, updated_at: new Date((at += 1)).toISOString() })),
          receivedAt: new Date(),
        }),
      ),
    );
    takeTrace();
    const started = performance.now();
    let applied = 0;
    // As the worker loop does: claims grow while they come back full.
    for (let limit = batchSize, claimed = -1; claimed !== 0; ) {
      const batchStarted = performance.now();
      claimed = await processDueRows(options, limit);
      limit = nextBatchSize(options, { limit, claimed, elapsedMs: performance.now() - batchStarted });
      applied += claimed;
    }
    const seconds = (performance.now() - started) / 1000;
    if (process.env.BENCH_TRACE) console.error(takeTrace().join("\n"));
    return { events: applied, perSecond: applied / seconds };
  };
  // First sight: one event per item, every item unknown (each gets a placeholder variant, one at a time).
  const firstSight = await storeAndDrain(ITEMS);
  // The steady state: known items, the traffic a running shop sends.
  const known = await storeAndDrain(EVENTS);
  console.log(JSON.stringify({ ...known, firstSight }));
} finally {
  await cleanup();
}
