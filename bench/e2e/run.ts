// `npm run bench:e2e`: end-to-end latency under load. Signed inventory webhooks go in open loop (at a
// fixed rate, arrivals not waiting for answers) to a real Lockstep — the embedded database in one
// process, PostgreSQL + Redis in one process, and a cluster of 2 web + 2 worker processes — and each
// event is followed to three places: applied (its inbox row processed, so availability answers the
// new number), pushed (the simulated ERP, a live destination of the batching pipeline, holds a
// version at least as new) and in the Google feed (a snapshot whose build started after it was
// applied is published). Latencies run from the event's occurred-at (X-Shopify-Triggered-At).
//
// Each target starts, is left `--warmup` seconds for its first destination runs (a new ERP
// destination begins with a full run), then is driven at rising rates (`--rates`, default
// 500,1000,2000,4000) for `--seconds` each. A rate is held when every delivery was answered 200 within
// a second of the last one falling due, and the inbox was empty and the ERP held every item's newest
// version within `--catch-up` seconds after sending stopped; the first rate not held ends the target.
// The cluster's highest held rate is compared with one process's. `--no-feed` leaves the Google feed out.
//
//   npm run bench:e2e [-- --targets pglite,postgres,cluster --rates 500,1000 --seconds 10]
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { adapterRegistry } from "../../app/batching/adapters";
import { createDestination } from "../../app/batching/destinations.server";
import { openDatabase, type Database } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { erpHttpAdapter } from "../../app/destinations/erpHttp.server";
import { googleFeedAdapter } from "../../app/feeds/google/adapter.server";
import { issueFeedToken } from "../../app/feeds/google/tokens.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { type DestinationSimulator, startDestinationSimulator } from "../../simulators/destination/endpoint";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { createTestDatabase, POSTGRES_URL } from "../../test/helpers/database";
import { freePort } from "../../test/helpers/net";
import { startProcess, type Started } from "../../test/helpers/process";
import { STANDALONE_ENV } from "../../test/helpers/server";

type TargetName = "pglite" | "postgres" | "cluster";

const { values: args } = parseArgs({
  options: {
    targets: { type: "string", default: "pglite,postgres,cluster" },
    rates: { type: "string", default: "500,1000,2000,4000" },
    seconds: { type: "string", default: "10" },
    items: { type: "string", default: "1000" },
    "catch-up": { type: "string", default: "15" },
    warmup: { type: "string", default: "10" },
    "no-feed": { type: "boolean", default: false },
  },
});
const TARGETS = args.targets!.split(",").map((name) => {
  if (name !== "pglite" && name !== "postgres" && name !== "cluster") throw new Error(`--targets takes pglite, postgres, cluster (got "${name}")`);
  return name as TargetName;
});
const RATES = args.rates!.split(",").map(Number);
const SECONDS = Number(args.seconds);
const ITEMS = Number(args.items);
const CATCH_UP_MS = Number(args["catch-up"]) * 1000;
const FEED = !args["no-feed"];
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ENCRYPTION_KEY = "bench-e2e-encryption-key-of-32-chars-at-least";
const ERP_SECRET = "whsec_YmVuY2gtZTJlLWVycC1zaWduaW5nLXNlY3JldA==";
const SHOP_DOMAIN = "bench-e2e.myshopify.com";

interface SentEvent {
  item: number;
  at: number;
  eventId: string;
}

interface StepResult {
  rate: number;
  sent: number;
  refused: number;
  sendMs: number;
  caughtUp: boolean;
  catchUpMs: number;
  events: SentEvent[];
  /** Time from sending a delivery to its answer (the 200 after the durable write). */
  answer: Percentiles;
}

interface Latencies {
  stored: Percentiles;
  applied: Percentiles;
  pushed: Percentiles;
  feed: Percentiles;
}

interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  count: number;
}

// ---------------------------------------------------------------------------------------------
// The store: one shop, ITEMS items at one location, an ERP destination and a Google feed

async function seed(db: Database, erpUrl: string): Promise<void> {
  const shopId = randomUUID();
  await db.sql.query(`INSERT INTO shop (id, platform, domain) VALUES ($1, 'shopify', $2)`, [shopId, SHOP_DOMAIN]);
  await db.sql.query(`INSERT INTO location (id, shop_id, external_id, name) VALUES (gen_random_uuid(), $1, 'gid://shopify/Location/1', 'Warehouse')`, [shopId]);
  await db.sql.query(`INSERT INTO product (id, shop_id, external_id, title) VALUES (gen_random_uuid(), $1, 'gid://shopify/Product/1', 'Bench tee')`, [shopId]);
  await db.sql.query(
    `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title, price)
     SELECT gen_random_uuid(), $1, (SELECT id FROM product WHERE shop_id = $1), 'gid://shopify/ProductVariant/' || n, 'gid://shopify/InventoryItem/' || n, 'E-' || n, 'Item ' || n, 10
     FROM generate_series(1, $2::int) n`,
    [shopId, ITEMS],
  );
  await db.sql.query(
    `INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, committed, source_updated_at)
     SELECT v.shop_id, v.id, l.id, 0, 0, now() - interval '1 hour' FROM variant v JOIN location l ON l.shop_id = v.shop_id WHERE v.shop_id = $1`,
    [shopId],
  );
  const registry = createLimiterRegistry();
  try {
    const deps = { sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([erpHttpAdapter({ registry }), googleFeedAdapter({ sql: db.sql })]) };
    // Every second (croner's six-field form), or as soon as 200 changes wait.
    await createDestination(deps, shopId, {
      name: "Bench ERP",
      kind: "erp_http",
      endpoint: erpUrl,
      receives: ["stock"],
      cadence: "* * * * * *",
      sizeThreshold: 200,
      limits: { requestsPerSecond: 1_000, concurrency: 4, batchSize: 100 },
      mode: "live",
      signingSecret: ERP_SECRET,
    });
    if (!FEED) return;
    const feed = await createDestination(deps, shopId, {
      name: "Bench Google feed",
      kind: "google_feed",
      endpoint: "https://bench.example.com",
      receives: ["catalog", "stock"],
      cadence: "*/5 * * * * *",
      mode: "live",
      options: { storeUrl: "https://bench.example.com", currency: "USD", defaultBrand: "Bench", title: "Bench" },
      limits: { requestsPerSecond: 10, concurrency: 1, batchSize: 100 },
    });
    await issueFeedToken(db.sql, feed.id);
  } finally {
    await registry.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Targets

interface RunningTarget {
  baseUrl: string;
  /** Reads the database once the processes have stopped (PGlite allows one process at a time). */
  stop(): Promise<Database>;
  close(): Promise<void>;
}

async function startTarget(name: TargetName, erpUrl: string): Promise<RunningTarget> {
  const env = { ...STANDALONE_ENV, LOCKSTEP_ENCRYPTION_KEY: ENCRYPTION_KEY, LOCKSTEP_DEMO_TRAFFIC: "off", LOCKSTEP_WEBHOOK_POLL_MS: "100" };
  if (name === "pglite") {
    const dataDir = mkdtempSync(path.join(tmpdir(), "lockstep-e2e-"));
    const db = await openDatabase({ dataDir });
    await applyMigrations(db.sql);
    await seed(db, erpUrl);
    await db.close();
    const web = startProcess("server/main.ts", [], { ...env, LOCKSTEP_DATA_DIR: dataDir });
    const [, baseUrl] = await web.waitFor(/listening on (http:\/\/\S+)/, 180_000);
    let reopened: Database | undefined;
    return {
      baseUrl: baseUrl!,
      async stop() {
        await web.stop("SIGTERM");
        reopened = await openDatabase({ dataDir });
        return reopened;
      },
      async close() {
        await reopened?.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  await seed(db, erpUrl);
  const serverEnv = { ...env, DATABASE_URL: db.url!, REDIS_URL };
  const processes: Started[] = [];
  let baseUrl: string;
  if (name === "postgres") {
    const web = startProcess("server/main.ts", [], serverEnv);
    processes.push(web);
    baseUrl = (await web.waitFor(/listening on (http:\/\/\S+)/, 180_000))[1]!;
  } else {
    const port = await freePort();
    const cluster = startProcess("scripts/cluster.ts", ["--web", "2", "--workers", "2"], { ...serverEnv, PORT: String(port) });
    processes.push(cluster);
    await waitForOutput(cluster, /listening on (http:\/\/\S+)/g, 2, 180_000);
    await cluster.waitFor(/webhook worker loop/, 180_000);
    baseUrl = `http://127.0.0.1:${port}`;
  }
  return {
    baseUrl,
    async stop() {
      await Promise.all(processes.map((process) => process.stop("SIGTERM")));
      return db;
    },
    close: () => db.close(),
  };
}

async function waitForOutput(process: Started, pattern: RegExp, times: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((process.output().match(pattern)?.length ?? 0) < times) {
    if (Date.now() > deadline) throw new Error(`fewer than ${times} ${pattern} within ${timeoutMs} ms:\n${process.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// Driving it

async function driveStep(baseUrl: string, erp: DestinationSimulator, rate: number, firstItem: { next: number }): Promise<StepResult> {
  const url = new URL(`${baseUrl}/webhooks/shopify`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const total = Math.round(rate * SECONDS);
  const events: SentEvent[] = [];
  const answers: Promise<number>[] = [];
  const answerMs: number[] = [];
  const started = performance.now();
  const startedAt = Date.now();
  for (let i = 0; i < total; i += 1) {
    // Open loop: event i is due at i / rate seconds, whatever the answers so far.
    const due = (i / rate) * 1000;
    const wait = due - (performance.now() - started);
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const at = startedAt + Math.round(performance.now() - started);
    const item = 1 + (firstItem.next++ % ITEMS);
    const eventId = randomUUID();
    events.push({ item, at, eventId });
    const delivery = signShopifyDelivery({
      secret: STANDALONE_ENV.SHOPIFY_API_SECRET,
      shopDomain: SHOP_DOMAIN,
      topic: "inventory_levels/update",
      eventId,
      webhookId: eventId,
      triggeredAt: new Date(at),
      payload: shopifyPayload("inventory_levels/update", { inventory_item_id: item, location_id: 1, available: (i * 7) % 100, updated_at: new Date(at).toISOString() }),
    });
    const sentAt = performance.now();
    answers.push(post(agent, url, delivery.headers, delivery.body).then((status) => ((answerMs[i] = performance.now() - sentAt), status)));
  }
  const statuses = await Promise.all(answers);
  const sendMs = performance.now() - started;
  agent.destroy();
  const refused = statuses.filter((status) => status !== 200).length;
  // Caught up: nothing left in the inbox, and the ERP holds each item's newest sent version.
  const newest = new Map<number, number>();
  for (const event of events) newest.set(event.item, event.at);
  const sendingEnded = Date.now();
  let caughtUp = false;
  while (Date.now() - sendingEnded < CATCH_UP_MS) {
    if ([...newest].every(([item, at]) => versionOf(erp.held("stock", `E-${item}`)) >= at) && (await unprocessed(baseUrl)) === 0) {
      caughtUp = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { rate, sent: total, refused, sendMs, caughtUp, catchUpMs: Date.now() - sendingEnded, events, answer: percentiles(answerMs) };
}

/** The inbox rows waiting, from the app's own Prometheus gauge (PGlite cannot be read from a second process). */
async function unprocessed(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/metrics`).catch(() => undefined);
  const text = response?.ok ? await response.text() : "";
  const match = /^lockstep_inbox_unprocessed(?:\{[^}]*\})? (\d+)/m.exec(text);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}

function post(agent: http.Agent, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", () => resolve(0));
    request.end(body);
  });
}

function versionOf(held: Record<string, unknown> | undefined): number {
  return held ? Date.parse(String(held.version)) : -Infinity;
}

// ---------------------------------------------------------------------------------------------
// Latencies, once the processes have stopped

async function latencies(db: Database, erp: DestinationSimulator, steps: StepResult[]): Promise<Map<number, Latencies>> {
  const processed = new Map<string, number>();
  const stored = new Map<string, number>();
  for (const row of await db.sql.query<{ event_id: string; stored: number; at: number | null }>(
    `SELECT event_id, (extract(epoch FROM stored_at) * 1000)::float8 AS stored, (extract(epoch FROM processed_at) * 1000)::float8 AS at FROM webhook_inbox WHERE event_id IS NOT NULL`,
  )) {
    stored.set(row.event_id, row.stored);
    if (row.at !== null) processed.set(row.event_id, row.at);
  }
  const snapshots = (
    await db.sql.query<{ created: number; ready: number }>(
      `SELECT (extract(epoch FROM created_at) * 1000)::float8 AS created, (extract(epoch FROM ready_at) * 1000)::float8 AS ready
       FROM feed_snapshot WHERE status = 'ready' ORDER BY created_at`,
    )
  ).map((row) => ({ created: row.created, ready: row.ready }));
  // Per item, every push the ERP received, in arrival order: the first at or past a version is when that event reached it.
  const pushes = new Map<string, { version: number; at: number }[]>();
  for (const request of erp.received) {
    if (request.path !== "/batches/stock") continue;
    for (const item of (request.body as { items: { sku: string; version: string }[] }).items) {
      const list = pushes.get(item.sku) ?? [];
      list.push({ version: Date.parse(item.version), at: request.receivedAt });
      pushes.set(item.sku, list);
    }
  }
  const result = new Map<number, Latencies>();
  for (const step of steps) {
    const storedIn: number[] = [];
    const applied: number[] = [];
    const pushed: number[] = [];
    const feed: number[] = [];
    for (const event of step.events) {
      const storedAt = stored.get(event.eventId);
      if (storedAt !== undefined) storedIn.push(storedAt - event.at);
      const appliedAt = processed.get(event.eventId);
      if (appliedAt !== undefined) {
        applied.push(appliedAt - event.at);
        const snapshot = snapshots.find((one) => one.created >= appliedAt);
        if (snapshot) feed.push(snapshot.ready - event.at);
      }
      const push = pushes.get(`E-${event.item}`)?.find((one) => one.version >= event.at);
      if (push) pushed.push(push.at - event.at);
    }
    result.set(step.rate, { stored: percentiles(storedIn), applied: percentiles(applied), pushed: percentiles(pushed), feed: percentiles(feed) });
  }
  return result;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), count: sorted.length };
}

// ---------------------------------------------------------------------------------------------

async function runTarget(name: TargetName): Promise<{ name: TargetName; held: number; lines: string[] }> {
  const erp = await startDestinationSimulator({ name: "erp", signingSecret: ERP_SECRET });
  const target = await startTarget(name, erp.url);
  const steps: StepResult[] = [];
  const lines: string[] = [];
  let held = 0;
  try {
    const firstItem = { next: 0 };
    await new Promise((resolve) => setTimeout(resolve, Number(args.warmup) * 1000));
    for (const rate of RATES) {
      const step = await driveStep(target.baseUrl, erp, rate, firstItem);
      steps.push(step);
      // Held: every delivery answered 200 within a second of the last one falling due, and all of it applied and pushed within the catch-up time.
      const holds = step.caughtUp && step.refused === 0 && step.sendMs <= SECONDS * 1000 + 1000;
      console.log(
        `${name} ${rate}/s: sent ${step.sent} in ${(step.sendMs / 1000).toFixed(1)} s (answered p50 ${ms(step.answer.p50)} p99 ${ms(step.answer.p99)}), refused ${step.refused}, ` +
          `ERP caught up ${step.caughtUp ? `${step.catchUpMs} ms after` : `no (${CATCH_UP_MS} ms)`} → ${holds ? "held" : "not held"}; load ${loadavg()[0]!.toFixed(1)}`,
      );
      if (!holds) break;
      held = rate;
    }
    const db = await target.stop();
    const measured = await latencies(db, erp, steps);
    for (const step of steps) {
      const figures = measured.get(step.rate)!;
      const show = (label: string, p: Percentiles) => `${label} p50 ${ms(p.p50)} p95 ${ms(p.p95)} p99 ${ms(p.p99)} (${p.count})`;
      const line = `| ${name} | ${step.rate}/s | ${show("stored", figures.stored)} | ${show("applied", figures.applied)} | ${show("pushed", figures.pushed)} | ${show("feed", figures.feed)} |`;
      lines.push(line);
      console.log(line);
    }
  } finally {
    await target.close();
    await erp.close();
  }
  return { name, held, lines };
}

function ms(value: number): string {
  return Number.isNaN(value) ? "–" : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

async function main(): Promise<void> {
  console.log(`bench:e2e: targets ${TARGETS.join(", ")}, rates ${RATES.join(", ")}/s for ${SECONDS} s each, ${ITEMS} items; load ${loadavg().map((n) => n.toFixed(1)).join(" ")}`);
  const results = [];
  for (const name of TARGETS) results.push(await runTarget(name));
  console.log("\n| target | rate | occurred → stored (the 200) | occurred → applied | occurred → pushed to ERP | occurred → in a published feed |\n|---|---|---|---|---|---|");
  for (const result of results) for (const line of result.lines) console.log(line);
  for (const result of results) console.log(`${result.name}: highest rate held ${result.held}/s`);
  const single = results.find((result) => result.name === "postgres");
  const cluster = results.find((result) => result.name === "cluster");
  if (single && cluster && single.held > 0) console.log(`cluster (2 web + 2 workers) / one process on PostgreSQL: ${((cluster.held / single.held) * 100).toFixed(0)} % of the held rate`);
  console.log(`load average at the end: ${loadavg().map((n) => n.toFixed(1)).join(" ")}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
