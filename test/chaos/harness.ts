// The chaos run: webhook events for a catalog across several shops through the whole pipeline (a
// web process storing, worker processes applying) while storefront clients reserve, release and
// commit — with duplicates, reordering, late deliveries, workers killed with SIGKILL, every
// PostgreSQL connection terminated and Redis restarted. Afterwards it checks what must hold:
// every level equals what applying each event once in source order gives, every event stored once
// and applied (or dead-lettered with a reason), every reservation accounted for, nothing oversold.
// `npm run chaos` runs a million events; `test/chaos/chaos.test.ts` a CI-sized run.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import http from "node:http";
import { randomUUID } from "node:crypto";
import net from "node:net";
import os from "node:os";
import pg from "pg";
import { adapterRegistry } from "../../app/batching/adapters";
import { createDestination } from "../../app/batching/destinations.server";
import { erpHttpAdapter } from "../../app/destinations/erpHttp.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { type DestinationSimulator, startDestinationSimulator } from "../../simulators/destination/endpoint";
import { issueApiToken } from "../../app/shops/shops.server";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { mulberry32 } from "../helpers/random";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { bundleEntry, startProcess, type Started } from "../helpers/process";
import { STANDALONE_ENV } from "../helpers/server";
import { freePort } from "../helpers/net";

export interface ChaosOptions {
  /** Inventory events generated (duplicates come on top). */
  events: number;
  shops: number;
  /** Items per shop whose stock the webhooks move. */
  itemsPerShop: number;
  /** Items per shop that only storefront clients reserve (stock fixed, so "oversold" is exact). */
  reservableItemsPerShop: number;
  reservableStock: number;
  workerProcesses: number;
  /** Share of events delivered twice (same event id, as Shopify's duplicate deliveries). */
  duplicateShare: number;
  /** Share of events held back and delivered seconds later, after newer ones. */
  lateShare: number;
  /** Each worker process killed with SIGKILL after this many ms (then started again); 0 = never. */
  killEveryMs: number;
  /** Every PostgreSQL connection of the run terminated after this many ms; 0 = never. */
  dropConnectionsEveryMs: number;
  /** Redis (a private server on its own port) restarted this many times during the run, this far apart. */
  redisRestarts: number;
  redisRestartEveryMs: number;
  storefrontClients: number;
  senders: number;
  seed: number;
  /**
   * The run stops sending after this share of `timeLimitMs` (then drains and checks what it sent: a
   * partial run is still checked, on the events delivered), and gives up draining at `timeLimitMs`.
   */
  timeLimitMs: number;
  /**
   * A bounded run (one allowed to check only part of its events) also stops sending as soon as what
   * it sent could not be finished in the time left (`finishingNeeds`); a run that must send
   * everything keeps sending, as stopping early would fail it anyway.
   */
  stopWhenBehind: boolean;
  /** A progress line (deliveries, rate, applied, load average) this often; 0 = none. */
  progressEveryMs?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  /** Distinct inventory events generated; `eventsIn` counts those delivered (all of them unless the time limit cut the run). */
  eventsGenerated: number;
  complete: boolean;
  eventsIn: number;
  deliveriesSent: number;
  deliveryRetries: number;
  stored: number;
  applied: number;
  deadLettered: number;
  deadLetterReasons: string[];
  /** Items whose final level differs from the source order's last value. */
  lost: number;
  /** Events stored more than once, or orders recorded twice. */
  appliedTwice: number;
  oversold: number;
  /** `orderCommitsMissing`: reservations whose order was delivered but which are not committed; `missingStatus` says what they are instead. */
  reservations: { made: number; refused: number; missing: number; committedByOrder: number; orderCommitsMissing: number; missingStatus: string[] };
  /**
   * Each shop's simulated ERP (a live destination receiving stock, pushed by the batching pipeline):
   * items pushed with the same version twice (the receiver counts per SKU and version, after its own
   * Idempotency-Key dedup), items pushed with an older version than one the ERP had already
   * received (`pushedOlder`: an ERP keeping the last item it received goes back), and items whose
   * final state never reached it.
   */
  destination: { changesCaptured: number; itemsPushed: number; pushedTwice: number; pushedOlder: number; notPushed: number; caughtUp: boolean; examples: string[] };
  /** restartMs: time the replacements of killed workers took to start, summed (each costs CPU: a fresh process). */
  faults: { workersKilled: number; connectionDrops: number; redisRestarts: number; restartMs: number };
  /**
   * CPU seconds spent, by whom (Linux: read from /proc; zeros elsewhere): this process (signing and
   * sending deliveries, the storefront clients, the ERP simulators), the web process, the worker
   * processes applying and pushing, their start-ups (until "webhook worker loop"), and the run
   * database's PostgreSQL backends (sampled every 2 s, so short-lived ones are missed).
   */
  cpuSeconds: { harness: number; web: number; workers: number; workerStarts: number; postgres: number };
  /** The web process (never killed) was still running at the end. */
  webSurvived: boolean;
  elapsedMs: number;
  /** Deliveries per second while sending. */
  deliveryRate: number;
  drained: boolean;
}

interface InventoryEvent {
  shop: number;
  item: number;
  available: number;
  at: number;
  eventId: string;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const random = mulberry32(options.seed);
  const started = Date.now();
  const db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  const redis = await startPrivateRedis();
  const erps: DestinationSimulator[] = [];
  const processes: { web?: Started; workers: Started[] } = { workers: [] };
  const faults = { workersKilled: 0, connectionDrops: 0, redisRestarts: 0, restartMs: 0 };
  const cpu = { harness: 0, web: 0, workers: 0, workerStarts: 0, postgres: 0 };
  const harnessCpuAtStart = process.cpuUsage();
  let postgresCpu: { stop(): Promise<number> } | undefined;
  let workerEntry: string | undefined;
  let stopping = false;
  try {
    const shops = await seedShops(db, options);
    for (const shop of shops) {
      const erp = await startDestinationSimulator({ name: "erp", signingSecret: ERP_SECRET });
      erps.push(erp);
      await createErpDestination(db, shop.id, erp.url);
    }
    const env = {
      ...STANDALONE_ENV,
      DATABASE_URL: db.url!,
      REDIS_URL: redis.url,
      LOCKSTEP_ENCRYPTION_KEY: ENCRYPTION_KEY,
      LOCKSTEP_DEMO_TRAFFIC: "off",
      LOCKSTEP_WEBHOOK_POLL_MS: "100",
    };
    // LOCKSTEP_CHAOS_CPU_PROF=<folder>: the web process and the workers alive at the end write CPU profiles there.
    const profiling = process.env.LOCKSTEP_CHAOS_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.LOCKSTEP_CHAOS_CPU_PROF}`] : [];
    processes.web = startProcess("server/main.ts", [], { ...env, LOCKSTEP_WEBHOOK_WORKERS: "0" }, profiling);
    const [, baseUrl] = await processes.web.waitFor(/listening on (http:\/\/\S+)/, 120_000);
    // The web process is never killed: if it ends, that is a finding (its output says why).
    const web = processes.web;
    void web.exited.then((code) => {
      if (!stopping) log(`chaos: the web process ended (exit ${code ?? web.child.signalCode}) during the run; its last output:\n${web.output().slice(-4_000)}`);
    });
    // Workers start from one compiled file: the run starts dozens of them, each through tsx would compile every module again.
    workerEntry = await bundleEntry("server/worker.ts");
    const startWorker = async () => {
      const worker = startProcess(workerEntry!, [], { ...env, LOCKSTEP_WEBHOOK_WORKERS: "2" }, profiling);
      processes.workers.push(worker);
      await worker.waitFor(/webhook worker loop/, 120_000);
      const startCpu = cpuSecondsOf(worker.child.pid);
      cpu.workerStarts += startCpu;
      cpu.workers -= startCpu;
    };
    const retire = (worker: Started) => {
      cpu.workers += cpuSecondsOf(worker.child.pid);
    };
    await Promise.all(Array.from({ length: options.workerProcesses }, () => startWorker()));
    postgresCpu = sampleBackendCpu(db.url!);
    log(`chaos: ${options.shops} shops × ${options.itemsPerShop} items, ${options.workerProcesses} worker processes, web at ${baseUrl}`);

    const events = generateEvents(options, random);
    const delivered = new Uint8Array(events.length);
    const sendOrder = deliveryOrder(events.length, options, random);
    const sender = createSender({ baseUrl: baseUrl!, senders: options.senders });

    // Faults run beside the traffic until it is all delivered.
    let delivering = true;
    const faultLoops: Promise<void>[] = [];
    if (options.killEveryMs > 0) {
      faultLoops.push(
        (async () => {
          // The first fault of each kind comes within seconds, so even a short run has one.
          for (let round = 0; delivering; round += 1) {
            await pause(round === 0 ? Math.min(2_000, options.killEveryMs) : options.killEveryMs, () => !delivering);
            if (!delivering) break;
            const alive = processes.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
            const victim = alive[Math.floor(random() * alive.length)];
            if (!victim) continue;
            retire(victim);
            victim.child.kill("SIGKILL");
            await victim.exited;
            faults.workersKilled += 1;
            // The next kill counts from when the replacement works: on a loaded machine a worker
            // takes seconds to start, and killing starting workers would leave none applying.
            const restarting = Date.now();
            await startWorker().catch(() => undefined);
            faults.restartMs += Date.now() - restarting;
          }
        })(),
      );
    }
    if (options.dropConnectionsEveryMs > 0) {
      faultLoops.push(
        (async () => {
          for (let round = 0; delivering; round += 1) {
            await pause(round === 0 ? Math.min(3_000, options.dropConnectionsEveryMs) : options.dropConnectionsEveryMs, () => !delivering);
            if (!delivering) break;
            await terminateBackends(db.url!);
            faults.connectionDrops += 1;
          }
        })(),
      );
    }
    if (options.redisRestarts > 0) {
      faultLoops.push(
        (async () => {
          for (let i = 0; i < options.redisRestarts && delivering; i += 1) {
            await pause(i === 0 ? Math.min(4_000, options.redisRestartEveryMs) : options.redisRestartEveryMs, () => !delivering);
            if (!delivering) break;
            await redis.restart();
            faults.redisRestarts += 1;
          }
        })(),
      );
    }

    const deadline = started + options.timeLimitMs;
    const pastDeadline = () => Date.now() > deadline;
    // Sending stops with time left to drain and check: a run cut by its limit still proves its part.
    // It stops earlier when what it sent could not be finished in the time left (a loaded machine,
    // or the push side behind): see `finishingNeeds`.
    const sendDeadline = started + options.timeLimitMs * 0.85;
    let behind = false;
    const pastSendDeadline = () => behind || Date.now() > sendDeadline;
    const sendingStarted = Date.now();
    let lastBacklog: Backlog | undefined;
    const watchBacklog = setInterval(() => {
      void (async () => {
        const backlog = await backlogOf(db).catch(() => undefined);
        if (!backlog) return;
        lastBacklog = backlog;
        const seconds = (Date.now() - sendingStarted) / 1000;
        if (!options.stopWhenBehind || seconds < 30 || behind) return;
        const needs = finishingNeeds(backlog, backlog.applied / seconds);
        if (needs > (deadline - Date.now()) / 1000 / 2) {
          log(
            `chaos: sending stops so the run finishes in its time: ${backlog.waiting} events wait at ${Math.round(backlog.applied / seconds)}/s applied, ` +
              `the destinations are ${Math.round(backlog.destinationLagSeconds)} s behind (about ${Math.round(needs)} s to finish, ${Math.round((deadline - Date.now()) / 1000)} s left)`,
          );
          behind = true;
        }
      })();
    }, 5_000);
    const progress = options.progressEveryMs
      ? setInterval(() => {
          const seconds = (Date.now() - sendingStarted) / 1000;
          log(
            `chaos: ${Math.round(seconds)} s: ${sender.sent}/${sendOrder.length} deliveries (${Math.round(sender.sent / seconds)}/s, ${sender.retries} retries), ` +
              `${lastBacklog ? `${lastBacklog.applied} applied (${Math.round(lastBacklog.applied / seconds)}/s), ${lastBacklog.waiting} waiting, destinations ${Math.round(lastBacklog.destinationLagSeconds)} s behind` : "nothing read yet"}, ` +
              `${faults.workersKilled} kills, ${faults.connectionDrops} drops, ${faults.redisRestarts} Redis restarts, load ${os.loadavg().map((n) => n.toFixed(1)).join(" ")}`,
          );
        }, options.progressEveryMs)
      : undefined;
    // Shoppers start new carts while the events go in; what they started they finish.
    let eventsDelivered = false;
    const storefront = runStorefront({ baseUrl: baseUrl!, shops, options, random, sender, until: () => eventsDelivered || pastSendDeadline(), giveUp: pastDeadline });
    const signed = (event: InventoryEvent) =>
      signShopifyDelivery({
        secret: STANDALONE_ENV.SHOPIFY_API_SECRET,
        shopDomain: shops[event.shop]!.domain,
        topic: "inventory_levels/update",
        eventId: event.eventId,
        webhookId: event.eventId,
        triggeredAt: new Date(event.at),
        payload: shopifyPayload("inventory_levels/update", { inventory_item_id: event.item, location_id: 1, available: event.available, updated_at: new Date(event.at).toISOString() }),
      });
    await sender.deliverAll(
      sendOrder.map((index) => ({ delivery: () => signed(events[index]!), done: () => void (delivered[index] = 1) })),
      pastSendDeadline,
    );
    eventsDelivered = true;
    const sendingMs = Date.now() - sendingStarted;
    const deliveryRate = Math.round(sender.sent / (sendingMs / 1000));
    clearInterval(progress);
    clearInterval(watchBacklog);
    const storefrontOutcome = await storefront;
    delivering = false;
    await Promise.all(faultLoops);
    log(`chaos: delivered ${sender.sent} deliveries (${sender.retries} retries) in ${sendingMs} ms (${deliveryRate}/s); draining`);
    const sent = events.filter((_, index) => delivered[index] === 1);
    const expected = lastValues(sent);

    // Drained: nothing left to apply, no owed subscriber call (an order's reservation commit) waiting
    // for its retry, and every worker that was killed has been replaced.
    let drained = false;
    while (Date.now() < deadline) {
      const [row] = await db.sql.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM webhook_inbox WHERE state IN ('pending', 'processing')) + (SELECT count(*) FROM webhook_outbox WHERE state IN ('pending', 'processing'))::int AS n`,
      );
      if (Number(row!.n) === 0) {
        drained = true;
        break;
      }
      await pause(200);
    }
    // Then the destinations: every change captured so far sent (cadence every minute, or the backlog threshold).
    let caughtUp = false;
    while (drained && Date.now() < deadline) {
      if (await destinationsCaughtUp(db)) {
        caughtUp = true;
        break;
      }
      await pause(500);
    }
    log(`chaos: drained ${drained}, destinations caught up ${caughtUp} after ${Date.now() - started} ms; checking`);
    sender.agent.destroy();
    for (const worker of processes.workers) if (worker.child.exitCode === null && worker.child.signalCode === null) retire(worker);
    cpu.web = cpuSecondsOf(processes.web.child.pid);
    cpu.postgres = await postgresCpu.stop();
    const harnessCpu = process.cpuUsage(harnessCpuAtStart);
    cpu.harness = (harnessCpu.user + harnessCpu.system) / 1e6;
    return {
      seed: options.seed,
      eventsGenerated: events.length,
      complete: sent.length === events.length,
      eventsIn: sent.length + storefrontOutcome.ordersSent,
      deliveriesSent: sender.sent,
      deliveryRetries: sender.retries,
      ...(await inboxCounts(db)),
      lost: await levelMismatches(db, shops, expected),
      appliedTwice: await appliedTwice(db),
      oversold: await oversold(db, options.reservableStock),
      reservations: await reservationAccounting(db, storefrontOutcome),
      destination: await destinationReport(db, shops, erps, expected, caughtUp, (pid) =>
        pid === processes.web?.child.pid ? "the web process" : processes.workers.some((worker) => worker.child.pid === pid && worker.child.signalCode === "SIGKILL") ? "a killed worker" : "a worker"),
      faults,
      cpuSeconds: roundedSeconds(cpu),
      webSurvived: processes.web.child.exitCode === null && processes.web.child.signalCode === null,
      elapsedMs: Date.now() - started,
      deliveryRate,
      drained,
    };
  } finally {
    stopping = true;
    await postgresCpu?.stop();
    await Promise.all([processes.web?.stop("SIGTERM"), ...processes.workers.map((worker) => worker.stop("SIGTERM"))]);
    if (workerEntry) await rm(workerEntry, { force: true });
    await redis.stop();
    await Promise.all(erps.map((erp) => erp.close()));
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The catalog

interface ChaosShop {
  id: string;
  domain: string;
  token: string;
}

async function seedShops(db: TestDatabase, options: ChaosOptions): Promise<ChaosShop[]> {
  const shops: ChaosShop[] = [];
  for (let s = 0; s < options.shops; s += 1) {
    const id = randomUUID();
    const domain = `chaos-${s}-${id.slice(0, 6)}.myshopify.com`;
    await db.sql.query(`INSERT INTO shop (id, platform, domain) VALUES ($1, 'shopify', $2)`, [id, domain]);
    await db.sql.query(`INSERT INTO location (id, shop_id, external_id, name) VALUES (gen_random_uuid(), $1, 'gid://shopify/Location/1', 'Warehouse')`, [id]);
    await db.sql.query(`INSERT INTO product (id, shop_id, external_id, title) VALUES (gen_random_uuid(), $1, 'gid://shopify/Product/1', 'Chaos')`, [id]);
    // Webhook items are numbered 1..n, reservable ones from 1,000,001; both start fresh (stamped now).
    await db.sql.query(
      `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title)
       SELECT gen_random_uuid(), $1, (SELECT id FROM product WHERE shop_id = $1), 'gid://shopify/ProductVariant/' || n, 'gid://shopify/InventoryItem/' || n,
              CASE WHEN n > 1000000 THEN 'R-' || (n - 1000000) ELSE 'W-' || n END, 'Item ' || n
       FROM (SELECT generate_series(1, $2::int) AS n UNION ALL SELECT 1000000 + generate_series(1, $3::int)) items`,
      [id, options.itemsPerShop, options.reservableItemsPerShop],
    );
    await db.sql.query(
      `INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, committed, source_updated_at)
       SELECT v.shop_id, v.id, l.id, CASE WHEN v.sku LIKE 'R-%' THEN $2::int ELSE 0 END, 0, now() - interval '1 hour'
       FROM variant v JOIN location l ON l.shop_id = v.shop_id WHERE v.shop_id = $1`,
      [id, options.reservableStock],
    );
    shops.push({ id, domain, token: await issueApiToken(db.prisma, id) });
  }
  return shops;
}

function generateEvents(options: ChaosOptions, random: () => number): InventoryEvent[] {
  // Source order is time order: event k happened at base + k ms, so each item's last event is its truth.
  const base = Date.now() - options.events - 60_000;
  return Array.from({ length: options.events }, (_, k) => ({
    shop: Math.floor(random() * options.shops),
    item: 1 + Math.floor(random() * options.itemsPerShop),
    available: Math.floor(random() * 100),
    at: base + k,
    eventId: randomUUID(),
  }));
}

function lastValues(events: InventoryEvent[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const event of events) last.set(`${event.shop}:${event.item}`, event.available);
  return last;
}

/** Indexes of the events in the order they are delivered: shuffled locally, some late, some twice. */
function deliveryOrder(count: number, options: ChaosOptions, random: () => number): number[] {
  const onTime: number[] = [];
  const late: number[] = [];
  for (let i = 0; i < count; i += 1) (random() < options.lateShare ? late : onTime).push(i);
  // Reordered: shuffled within windows of 64 deliveries, as concurrent senders and retries do.
  for (let start = 0; start < onTime.length; start += 64) {
    const end = Math.min(onTime.length, start + 64);
    for (let i = end - 1; i > start; i -= 1) {
      const j = start + Math.floor(random() * (i - start + 1));
      [onTime[i], onTime[j]] = [onTime[j]!, onTime[i]!];
    }
  }
  const inOrder = [...onTime, ...late];
  // Duplicates of random events at random places: each slot of the original order gets the
  // duplicates drawn for it in front of it (one pass: splicing into a million-long array is quadratic).
  const duplicates = Math.floor(count * options.duplicateShare);
  const extra = Array.from({ length: duplicates }, () => ({ slot: Math.floor(random() * (count + 1)), original: inOrder[Math.floor(random() * count)]! }));
  extra.sort((x, y) => x.slot - y.slot);
  const order: number[] = [];
  let e = 0;
  for (let i = 0; i <= count; i += 1) {
    while (e < extra.length && extra[e]!.slot === i) order.push(extra[e++]!.original);
    if (i < count) order.push(inOrder[i]!);
  }
  return order;
}

// ---------------------------------------------------------------------------------------------
// Delivery: a sender retries until Lockstep answers 200, as Shopify does (faster, to stay bounded).

type Delivery = () => { body: string; headers: Record<string, string> };

/**
 * One POST on a kept-alive connection: the answer's status and body, or an error when the connection fails or no
 * answer comes within 15 s. node:http, not fetch: on this 2-core machine the harness shares the CPU
 * with what it measures, and fetch took ~630 µs of CPU per request against ~160 µs (64 senders).
 */
function post(agent: http.Agent, url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, timeout: 15_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error("no answer within 15 s")));
    request.on("error", reject);
    request.end(body);
  });
}

function createSender(input: { baseUrl: string; senders: number }) {
  const state = { sent: 0, retries: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: input.senders + 8 });
  const webhookUrl = new URL("/webhooks/shopify", input.baseUrl);
  const deliver = async (delivery: Delivery, giveUp: () => boolean): Promise<boolean> => {
    const { body, headers } = delivery();
    for (let attempt = 0; ; attempt += 1) {
      if (giveUp()) return false;
      try {
        const response = await post(agent, webhookUrl, headers, body);
        if (response.status === 200) {
          state.sent += 1;
          return true;
        }
      } catch {
        // Connection refused or reset, or no answer in time: the platform retries.
      }
      state.retries += 1;
      await pause(Math.min(1_000, 25 * 2 ** attempt));
    }
  };
  return {
    agent,
    get sent() {
      return state.sent;
    },
    get retries() {
      return state.retries;
    },
    deliver,
    async deliverAll(deliveries: { delivery: Delivery; done: () => void }[], giveUp: () => boolean): Promise<void> {
      let next = 0;
      await Promise.all(
        Array.from({ length: input.senders }, async () => {
          while (next < deliveries.length && !giveUp()) {
            const { delivery, done } = deliveries[next++]!;
            if (await deliver(delivery, giveUp)) done();
          }
        }),
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Storefront clients: reserve, then release, commit through an order webhook, or leave the hold.

interface StorefrontOutcome {
  made: Map<string, { shop: string; quantity: number; sku: string; committedByOrder: boolean }>;
  refused: number;
  ordersSent: number;
}

async function runStorefront(input: {
  baseUrl: string;
  shops: ChaosShop[];
  options: ChaosOptions;
  random: () => number;
  sender: ReturnType<typeof createSender>;
  /** No new cart after this is true. */
  until: () => boolean;
  /** A call or delivery under way is retried until it is answered, or this is true. */
  giveUp: () => boolean;
}): Promise<StorefrontOutcome> {
  const outcome: StorefrontOutcome = { made: new Map(), refused: 0, ordersSent: 0 };
  const { options, random } = input;
  let orderIds = 9_000_000_000;
  const call = async (shop: ChaosShop, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> } | undefined> => {
    for (let attempt = 0; attempt < 50 && !input.giveUp(); attempt += 1) {
      try {
        const response = await post(input.sender.agent, new URL(path, input.baseUrl), { authorization: `Bearer ${shop.token}`, "content-type": "application/json" }, JSON.stringify(body));
        const json = (() => {
          try {
            return JSON.parse(response.text) as Record<string, unknown>;
          } catch {
            return {};
          }
        })();
        if (response.status !== 503 && response.status !== 429) return { status: response.status, json };
      } catch {
        // Retried with the same key: the same reservation, never a second one.
      }
      await pause(Math.min(1_000, 25 * 2 ** attempt));
    }
    return undefined;
  };
  await Promise.all(
    Array.from({ length: options.storefrontClients }, async () => {
      while (!input.until()) {
        const shop = input.shops[Math.floor(random() * input.shops.length)]!;
        const sku = `R-${1 + Math.floor(random() * options.reservableItemsPerShop)}`;
        const quantity = 1 + Math.floor(random() * 3);
        const key = `chaos-${randomUUID()}`;
        const reserved = await call(shop, "/api/v1/reservations", { key, lines: [{ sku, quantity }] });
        if (!reserved) continue;
        if (reserved.status === 409) {
          outcome.refused += 1;
          continue;
        }
        if (reserved.status !== 201 && reserved.status !== 200) continue;
        const id = reserved.json.id as string;
        const record = { shop: shop.id, quantity, sku, committedByOrder: false };
        outcome.made.set(id, record);
        const choice = random();
        if (choice < 0.4) {
          await call(shop, `/api/v1/reservations/${id}/release`, { reason: "chaos: cart abandoned" });
        } else if (choice < 0.8) {
          const orderId = orderIds++;
          const delivered = await input.sender.deliver(
            () =>
              signShopifyDelivery({
                secret: STANDALONE_ENV.SHOPIFY_API_SECRET,
                shopDomain: shop.domain,
                topic: "orders/create",
                payload: shopifyPayload("orders/create", { id: orderId, cart_token: key, line_items: [{ id: orderId, variant_id: null, product_id: null, sku, title: sku, quantity, price: "1.00" }] }),
              }),
            input.giveUp,
          );
          if (delivered) {
            outcome.ordersSent += 1;
            record.committedByOrder = true;
          }
        }
      }
    }),
  );
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// What must hold afterwards

async function inboxCounts(db: TestDatabase): Promise<Pick<ChaosReport, "stored" | "applied" | "deadLettered" | "deadLetterReasons">> {
  const rows = await db.sql.query<{ state: string; n: number }>(`SELECT state::text, count(*)::int AS n FROM webhook_inbox GROUP BY state`);
  const by = new Map(rows.map((row) => [row.state, row.n]));
  const reasons = await db.sql.query<{ reason: string }>(`SELECT DISTINCT coalesce(last_error, '(no reason)') AS reason FROM webhook_inbox WHERE state = 'dead' LIMIT 20`);
  return {
    stored: rows.reduce((sum, row) => sum + row.n, 0),
    applied: by.get("processed") ?? 0,
    deadLettered: by.get("dead") ?? 0,
    deadLetterReasons: reasons.map((row) => row.reason),
  };
}

async function levelMismatches(db: TestDatabase, shops: ChaosShop[], expected: Map<string, number>): Promise<number> {
  let mismatches = 0;
  for (const [index, shop] of shops.entries()) {
    const rows = await db.sql.query<{ sku: string; sellable: number }>(
      `SELECT v.sku, (l.on_hand - l.committed)::int AS sellable FROM inventory_level l JOIN variant v ON v.id = l.variant_id WHERE l.shop_id = $1 AND v.sku LIKE 'W-%'`,
      [shop.id],
    );
    for (const row of rows) {
      const want = expected.get(`${index}:${row.sku.slice(2)}`);
      if (want !== undefined && want !== row.sellable) mismatches += 1;
    }
  }
  return mismatches;
}

async function appliedTwice(db: TestDatabase): Promise<number> {
  const [events] = await db.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM webhook_inbox WHERE event_id IS NOT NULL GROUP BY shop_id, topic, event_id HAVING count(*) > 1) twice`,
  );
  const [orders] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM platform_order GROUP BY shop_id, external_id HAVING count(*) > 1) twice`);
  return events!.n + orders!.n;
}

/** Units held or sold beyond the stock of items whose stock nothing else moved. */
async function oversold(db: TestDatabase, stock: number): Promise<number> {
  const rows = await db.sql.query<{ sku: string; units: number }>(
    `SELECT r.shop_id, line->>'sku' AS sku, sum((line->>'quantity')::int)::int AS units
     FROM reservation r, jsonb_array_elements(r.lines) line
     WHERE r.status IN ('active', 'committed')
     GROUP BY r.shop_id, line->>'sku'`,
  );
  return rows.reduce((sum, row) => sum + Math.max(0, row.units - stock), 0);
}

async function reservationAccounting(db: TestDatabase, outcome: StorefrontOutcome): Promise<ChaosReport["reservations"]> {
  const ids = [...outcome.made.keys()];
  const rows = ids.length
    ? await db.sql.query<{ id: string; status: string }>(`SELECT id::text, status::text FROM reservation WHERE id = ANY($1::uuid[])`, [ids])
    : [];
  const status = new Map(rows.map((row) => [row.id, row.status]));
  let orderCommitsMissing = 0;
  let committedByOrder = 0;
  const missingStatus: string[] = [];
  for (const [id, made] of outcome.made) {
    if (!made.committedByOrder) continue;
    committedByOrder += 1;
    if (status.get(id) !== "committed") {
      orderCommitsMissing += 1;
      if (missingStatus.length < 10) missingStatus.push(`${id}: ${status.get(id) ?? "(no row)"}`);
    }
  }
  if (orderCommitsMissing > 0) {
    const owed = await db.sql.query<{ line: string }>(`SELECT format('outbox %s %s attempts %s error %s', id, state, attempts, coalesce(last_error, '-')) AS line FROM webhook_outbox ORDER BY id DESC LIMIT 10`);
    missingStatus.push(...owed.map((row) => row.line));
  }
  return { made: ids.length, refused: outcome.refused, missing: ids.length - rows.length, committedByOrder, orderCommitsMissing, missingStatus };
}

// ---------------------------------------------------------------------------------------------
// The destination: each shop's simulated ERP receives stock from the batching pipeline

const ERP_SECRET = "whsec_Y2hhb3MtcnVuLWVycC1zaWduaW5nLXNlY3JldA==";
const ENCRYPTION_KEY = "chaos-run-encryption-key-of-32-chars-at-least";

async function createErpDestination(db: TestDatabase, shopId: string, url: string): Promise<void> {
  const registry = createLimiterRegistry();
  try {
    await createDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([erpHttpAdapter({ registry })]) }, shopId, {
      name: "Chaos ERP",
      kind: "erp_http",
      endpoint: url,
      receives: ["stock"],
      // Every 10 seconds (croner's six-field form), or as soon as 500 changes wait: runs go on while workers are killed.
      cadence: "*/10 * * * * *",
      sizeThreshold: 500,
      limits: { requestsPerSecond: 1_000, concurrency: 4, batchSize: 100 },
      mode: "live",
      signingSecret: ERP_SECRET,
    });
  } finally {
    await registry.close();
  }
}

interface Backlog {
  applied: number;
  /** Inbox rows pending or leased. */
  waiting: number;
  /** The age of the oldest captured change some destination has not pushed yet (0: none waits). */
  destinationLagSeconds: number;
}

async function backlogOf(db: TestDatabase): Promise<Backlog> {
  const [row] = await db.sql.query<Backlog>(
    `SELECT (SELECT count(*) FROM webhook_inbox WHERE state = 'processed')::int AS applied,
            (SELECT count(*) FROM webhook_inbox WHERE state IN ('pending', 'processing'))::int AS waiting,
            coalesce((SELECT max(extract(epoch FROM now() - (SELECT c.captured_at FROM change_record c WHERE c.shop_id = d.shop_id AND c.id > d.watermark ORDER BY c.id LIMIT 1)))
                      FROM destination d), 0)::float8 AS "destinationLagSeconds"`,
  );
  return row!;
}

/**
 * A run left by a killed worker holds its destination this long (runs.server.ts's lease) before
 * another process resumes it: the last kill before sending stops may leave one.
 */
const DESTINATION_LEASE_SECONDS = 60;

/**
 * Seconds the run needs, once sending stops, to finish what it sent: the inbox's backlog at the
 * workers' pace so far, then the destinations: as far behind as they are now (one run covers
 * every change of its range, however many), plus a run a killed worker may have left leased.
 */
function finishingNeeds(backlog: Backlog, applyRate: number): number {
  const inbox = backlog.waiting === 0 ? 0 : applyRate > 0 ? backlog.waiting / applyRate : Infinity;
  return inbox + backlog.destinationLagSeconds + DESTINATION_LEASE_SECONDS;
}

/** Every destination's watermark at its shop's newest change, nothing waiting to be retried, no run open. */
async function destinationsCaughtUp(db: TestDatabase): Promise<boolean> {
  const [row] = await db.sql.query<{ behind: number }>(
    `SELECT count(*)::int AS behind FROM destination d
     WHERE d.watermark < (SELECT coalesce(max(c.id), 0) FROM change_record c WHERE c.shop_id = d.shop_id)
        OR d.requested_run IS NOT NULL
        OR EXISTS (SELECT 1 FROM destination_retry r WHERE r.destination_id = d.id)
        OR EXISTS (SELECT 1 FROM destination_run r WHERE r.destination_id = d.id AND r.status IN ('running', 'failed'))`,
  );
  return row!.behind === 0;
}

/** The ERP counts, and when the destinations did not catch up, why: each one's lease (whose process holds it), newest run, what waits. */
async function destinationReport(
  db: TestDatabase,
  shops: ChaosShop[],
  erps: DestinationSimulator[],
  expected: Map<string, number>,
  caughtUp: boolean,
  processOf: (pid: number) => string,
): Promise<ChaosReport["destination"]> {
  const counts = await destinationCounts(db, shops, erps, expected);
  if (caughtUp) return { ...counts, caughtUp };
  const states = await db.sql.query<{ line: string; owner: string | null }>(
    `SELECT d.lease_owner AS owner,
            format('destination %s: lease until %s (%s s from now), next run at %s, %s changes after watermark %s, newest run %s %s attempts %s started %s',
                   left(d.id::text, 4), coalesce(d.lease_until::text, '-'), round(extract(epoch FROM d.lease_until - now())),
                   coalesce(d.next_run_at::text, '-'), (SELECT count(*) FROM change_record c WHERE c.shop_id = d.shop_id AND c.id > d.watermark), d.watermark,
                   r.id, r.status, r.attempts, r.started_at) AS line
     FROM destination d LEFT JOIN LATERAL (SELECT * FROM destination_run r WHERE r.destination_id = d.id ORDER BY r.id DESC LIMIT 1) r ON true
     ORDER BY d.id`,
  );
  // Lease owners are "<pid>-<random>" (pipelineDepsFor).
  const lines = states.map((row) => `${row.line}; held by ${row.owner ? `${row.owner} (${processOf(Number(row.owner.split("-")[0]))})` : "nobody"}`);
  return { ...counts, caughtUp, examples: [...lines, ...counts.examples] };
}

/**
 * What each ERP received, counted per SKU and version (after its Idempotency-Key dedup): a version
 * applied twice is a duplicate the customer's ERP would see; an item whose held state is not the
 * truth (the last event in source order) at its newest captured version was not pushed.
 */
async function destinationCounts(
  db: TestDatabase,
  shops: ChaosShop[],
  erps: DestinationSimulator[],
  expected: Map<string, number>,
): Promise<Omit<ChaosReport["destination"], "caughtUp">> {
  let itemsPushed = 0;
  let pushedTwice = 0;
  let pushedOlder = 0;
  let notPushed = 0;
  const examples: string[] = [];
  const [captured] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM change_record WHERE kind = 'stock'`);
  for (const [index, shop] of shops.entries()) {
    const erp = erps[index]!;
    const pushes = new Map<string, number>();
    const newestReceived = new Map<string, { version: number; runId: string }>();
    for (const request of erp.received) {
      if (request.path !== "/batches/stock") continue;
      const body = request.body as { runId: string; items: { sku: string; version: string; available: number }[] };
      for (const item of body.items) {
        if (!item.sku.startsWith("W-")) continue;
        const version = Date.parse(item.version);
        const key = `${item.sku}@${version}`;
        pushes.set(key, (pushes.get(key) ?? 0) + 1);
        itemsPushed += 1;
        const newest = newestReceived.get(item.sku);
        if (newest && version < newest.version) {
          pushedOlder += 1;
          if (examples.length < 6) examples.push(`shop ${index} ${item.sku} v${version} a${item.available} pushed by run ${body.runId} after v${newest.version} (run ${newest.runId})`);
        } else newestReceived.set(item.sku, { version, runId: body.runId });
      }
    }
    for (const [key, times] of pushes) {
      if (times <= 1) continue;
      pushedTwice += 1;
      if (examples.length < 6) {
        const [sku, version] = key.split("@");
        const batches = erp.received
          .filter((request) => request.path === "/batches/stock" && (request.body as { items: { sku: string }[] }).items.some((item) => item.sku === sku))
          .map((request) => {
            const body = request.body as { runId: string; batchId: string; items: { sku: string; version: string; available: number }[] };
            const item = body.items.find((one) => one.sku === sku)!;
            return `run ${body.runId} batch ${body.batchId.slice(0, 8)} v${Date.parse(item.version)} a${item.available} at ${request.receivedAt}`;
          });
        examples.push(`shop ${index} ${sku} v${version} pushed ${times}×: ${batches.join("; ")}`);
      }
    }
    const newest = await db.sql.query<{ sku: string; version: number }>(
      `SELECT v.sku, (extract(epoch FROM max(c.source_version)) * 1000)::float8 AS version FROM change_record c JOIN variant v ON v.id = c.variant_id
       WHERE c.shop_id = $1 AND c.kind = 'stock' AND v.sku LIKE 'W-%' GROUP BY v.sku`,
      [shop.id],
    );
    const newestVersion = new Map(newest.map((row) => [row.sku, Math.round(row.version)]));
    for (const [key, available] of expected) {
      const [shopIndex, item] = key.split(":");
      if (Number(shopIndex) !== index) continue;
      const sku = `W-${item}`;
      const held = erp.held("stock", sku);
      if (!held || held.available !== available || Date.parse(String(held.version)) !== newestVersion.get(sku)) {
        notPushed += 1;
        if (examples.length < 12) examples.push(`shop ${index} ${sku} holds ${JSON.stringify(held)} (v${Date.parse(String(held?.version))}), truth ${available} at newest captured v${newestVersion.get(sku)}`);
      }
    }
  }
  if (pushedTwice + pushedOlder + notPushed > 0) {
    const runs = await db.sql.query<{ line: string }>(
      `SELECT format('run %s dest %s %s %s attempts %s range (%s, %s] error %s', id, left(destination_id::text, 4), reason, status, attempts, watermark_from, watermark_to, coalesce(error, '-')) AS line
       FROM destination_run ORDER BY id LIMIT 40`,
    );
    examples.push(...runs.map((row) => row.line));
  }
  return { changesCaptured: captured!.n, itemsPushed, pushedTwice, pushedOlder, notPushed, examples };
}

// ---------------------------------------------------------------------------------------------
// Where the CPU went

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a live process has used so far; 0 when /proc cannot tell (not Linux, gone). */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Sums the CPU of the database's backends, looked up every 2 s (each backend's last reading counts). */
function sampleBackendCpu(url: string): { stop(): Promise<number> } {
  const lastSeen = new Map<number, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const client = new pg.Client({ connectionString: url });
      client.on("error", () => undefined);
      try {
        await client.connect();
        while (!stopped) {
          const rows = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
          for (const { pid } of rows.rows) {
            const seconds = cpuSecondsOf(pid);
            if (seconds > 0) lastSeen.set(pid, seconds);
          }
          await pause(2_000, () => stopped);
        }
      } catch {
        // Terminated with the others (the connection-drop fault): connect again.
        await pause(500, () => stopped);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  })();
  let total: Promise<number> | undefined;
  return {
    stop() {
      stopped = true;
      total ??= loop.then(() => [...lastSeen.values()].reduce((sum, seconds) => sum + seconds, 0));
      return total;
    },
  };
}

function roundedSeconds<T extends Record<string, number>>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Math.round(value * 10) / 10])) as T;
}

// ---------------------------------------------------------------------------------------------
// Faults

async function terminateBackends(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  } finally {
    await client.end();
  }
}

/** A Redis server of the run's own on a free port, so restarting it disturbs nobody else. */
async function startPrivateRedis(): Promise<{ url: string; restart(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    for (let i = 0; i < 100; i += 1) {
      if (await canConnect(port)) return;
      await pause(50);
    }
    throw new Error(`the run's Redis did not start on port ${port}`);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await stop();
      await pause(500);
      await start();
    },
    stop,
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Waits `ms`, in short steps so a loop told to stop does not sleep on. */
async function pause(ms: number, stop: () => boolean = () => false): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !stop()) await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
}
