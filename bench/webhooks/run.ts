// `npm run bench:webhooks`: signed Shopify deliveries against a bare node:http server that only
// checks the HMAC (the baseline) and against Lockstep's webhook edge, on PGlite and PostgreSQL.
// Each server runs in its own process; this process is the client. Bounded to well under 2 minutes.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { loadavg } from "node:os";
import path from "node:path";
import { shopifyPayload, signShopifyDelivery, type SignedDelivery } from "../../simulators/webhooks/shopify";
import { type BenchServer, startBenchServer } from "../benchServer";
import { BENCH_SECRET, BENCH_SHOP } from "./constants";

const ROOT = path.resolve(import.meta.dirname, "../..");
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 5000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
// Platforms deliver many webhooks at once: enough clients that a durable write's wait does not idle the server.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

type Target = BenchServer;

const TRACE = Boolean(process.env.BENCH_TRACE);

function startTarget(mode: "bare" | "bare-insert" | "lockstep" | "lockstep-nonotify", databaseUrl?: string): Promise<Target> {
  return startBenchServer("bench/webhooks/server.ts", [mode], {
    cwd: ROOT,
    env: { ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...(TRACE ? { BENCH_TRACE: "1" } : {}) },
    nodeFlags: [
      ...(process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/wb/prof"] : []),
      ...(process.env.BENCH_HEAP_PROFILE ? ["--heap-prof", "--heap-prof-dir=/tmp/wb/heap"] : []),
    ],
  });
}

let sequence = 0;
/** A fresh signed delivery (new webhook and event ids), varied over 1,000 items and 10 locations. */
function nextDelivery(): SignedDelivery {
  sequence += 1;
  return signShopifyDelivery({
    secret: BENCH_SECRET,
    shopDomain: BENCH_SHOP,
    topic: "inventory_levels/update",
    webhookId: randomUUID(),
    eventId: randomUUID(),
    payload: shopifyPayload("inventory_levels/update", { inventory_item_id: 1000 + (sequence % 1000), location_id: 1 + (sequence % 10), available: sequence % 50 }),
  });
}

function send(agent: http.Agent, port: number, delivery: SignedDelivery): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/webhooks/shopify", method: "POST", agent, headers: { ...delivery.headers, "content-length": Buffer.byteLength(delivery.body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on("error", reject);
    req.end(delivery.body);
  });
}

/** Closed loop: CONCURRENCY clients send as fast as answers come back. */
async function throughput(port: number): Promise<{ perSecond: number; done: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const deadline = performance.now() + THROUGHPUT_MS;
  let done = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const { status } = await send(agent, port, nextDelivery());
        if (status === 200) done += 1;
        else errors += 1;
      }
    }),
  );
  agent.destroy();
  return { perSecond: done / ((performance.now() - started) / 1000), done, errors };
}

/** CPU time used so far (µs): the server process and its database's PostgreSQL backends (see server.ts). */
interface CpuUsed {
  server: number;
  backends: Record<string, number>;
}
function cpuUsed(port: number): Promise<CpuUsed> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/__cpu" }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve(JSON.parse(text) as CpuUsed));
    }).on("error", reject);
  });
}

/** CPU per delivery over one slice, in µs: the server, its PostgreSQL backends, and this client. */
interface CpuPerDelivery {
  server: number;
  backends: number;
  client: number;
}
async function withCpu<Result extends { done: number }>(port: number, work: () => Promise<Result>): Promise<Result & { cpu: CpuPerDelivery }> {
  const before = await cpuUsed(port);
  const clientBefore = process.cpuUsage();
  const result = await work();
  const client = process.cpuUsage(clientBefore);
  const after = await cpuUsed(port);
  // A backend opened during the slice counts from zero; one closed during it is lost (pools keep theirs open).
  const backends = Object.entries(after.backends).reduce((sum, [pid, used]) => sum + used - (before.backends[pid] ?? 0), 0);
  const per = (microseconds: number) => microseconds / Math.max(1, result.done);
  return { ...result, cpu: { server: per(after.server - before.server), backends: per(backends), client: per(client.user + client.system) } };
}

/** Open loop at RATE per second (arrivals do not wait for answers), latency of every answer. */
async function latencyAt(port: number): Promise<{ p50: number; p95: number; p99: number; max: number; achieved: number; done: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round((RATE * LATENCY_MS) / 1000);
  const deliveries = Array.from({ length: total }, nextDelivery);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      send(agent, port, deliveries[i]!).then(({ status, ms }) => {
        latencies.push(ms);
        if (status !== 200) errors += 1;
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), max: latencies.at(-1)!, achieved: total / elapsed, done: total, errors };
}

/** BENCH_TRACE=1: the server's statement timings, event-loop delay, GC and PostgreSQL counters since the last call. */
function trace(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/__trace" }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve(text));
    }).on("error", reject);
  });
}

async function warmUp(port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  await Promise.all(Array.from({ length: 300 }, () => send(agent, port, nextDelivery())));
  agent.destroy();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const medianCpu = (slices: CpuPerDelivery[]): CpuPerDelivery => ({
  server: median(slices.map((slice) => slice.server)),
  backends: median(slices.map((slice) => slice.backends)),
  client: median(slices.map((slice) => slice.client)),
});

// All three servers up at once; the throughput slices are interleaved (A B C A B C A B C) so that the
// load of anything else on the machine falls on all of them alike, and the median slice is kept.
// The second baseline, bare + one durable INSERT per delivery on PostgreSQL, separates the tail the
// disk and the server impose (every 200 waits for a WAL flush) from the tail Lockstep's code adds.
// BENCH_ONLY=pglite,postgres (names: bare, insert, pglite, postgres) runs a subset; the bare server always runs.
const only = process.env.BENCH_ONLY?.split(",");
const wanted = (key: string) => key === "bare" || !only || only.includes(key);
const targets = [
  { key: "bare", name: "bare node:http + HMAC", start: () => startTarget("bare") },
  { key: "insert", name: "bare + durable INSERT (PG)", start: () => startTarget("bare-insert", POSTGRES_URL) },
  { key: "pglite", name: "lockstep on PGlite", start: () => startTarget("lockstep") },
  { key: "postgres", name: "lockstep on PostgreSQL", start: () => startTarget("lockstep", POSTGRES_URL) },
  // A/B only (BENCH_ONLY=…,nonotify): the PostgreSQL server without its NOTIFY to worker processes.
  { key: "nonotify", name: "lockstep on PostgreSQL, no NOTIFY", start: () => startTarget("lockstep-nonotify", POSTGRES_URL) },
].filter(({ key }) => wanted(key) && (key !== "nonotify" || only?.includes(key)));
for (const target of targets) Object.assign(target, { target: await target.start() });
const started = targets as Array<(typeof targets)[number] & { target: Target }>;
console.log(`load average at start: ${loadavg().map((load) => load.toFixed(2)).join(", ")}`);
try {
  for (const { target } of started) await warmUp(target.port);
  const rates = new Map<string, number[]>(targets.map(({ name }) => [name, []]));
  const cpu = new Map<string, CpuPerDelivery[]>(targets.map(({ name }) => [name, []]));
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const { name, target } of started) {
      const result = await withCpu(target.port, () => throughput(target.port));
      rates.get(name)!.push(result.perSecond);
      cpu.get(name)!.push(result.cpu);
      errors += result.errors;
    }
  }
  interface Result {
    name: string;
    perSecond: number;
    p99: number;
    cpu: CpuPerDelivery;
    openLoopCpu: CpuPerDelivery;
  }
  const results: Result[] = [];
  for (const { name, target } of started) {
    if (TRACE) await trace(target.port);
    const latency = await withCpu(target.port, () => latencyAt(target.port));
    const seen = TRACE ? await trace(target.port) : "";
    const perSecond = median(rates.get(name)!);
    console.log(
      `${name.padEnd(24)} ${perSecond.toFixed(0).padStart(6)}/s (slices ${rates.get(name)!.map((rate) => rate.toFixed(0)).join(", ")})  at ${RATE}/s: p50 ${latency.p50.toFixed(2)} ms  p95 ${latency.p95.toFixed(2)} ms  p99 ${latency.p99.toFixed(2)} ms  max ${latency.max.toFixed(1)} ms`,
    );
    if (seen) console.log(seen.replace(/^/gm, "    "));
    errors += latency.errors;
    results.push({ name, perSecond, ...latency, cpu: medianCpu(cpu.get(name)!), openLoopCpu: latency.cpu });
  }
  const [baseline, ...lockstep] = results;
  console.log(`\nnon-200 answers: ${errors}`);
  for (const result of lockstep) {
    const ratio = result.perSecond / baseline!.perSecond;
    // Issue 15's targets: >= 80 % of the bare server on PostgreSQL (50 % on PGlite, product.md), p99 < 25 ms on both.
    const floor = result.name.includes("PostgreSQL") ? 0.8 : 0.5;
    const target = result.name.startsWith("bare") ? "" : ` -> ${ratio >= floor && result.p99 < 25 && errors === 0 ? "meets" : "MISSES"} the target (>= ${floor * 100} %, p99 < 25 ms)`;
    console.log(
      `${result.name}: throughput ${(ratio * 100).toFixed(0)} % of the baseline (${result.perSecond.toFixed(0)} vs ${baseline!.perSecond.toFixed(0)}/s), p99 ${result.p99.toFixed(2)} ms at ${RATE}/s (baseline p99 ${baseline!.p99.toFixed(2)} ms)${target}`,
    );
  }
  // Beside the ratio, not instead of it: what each delivery costs in CPU, the machine's 2 cores being
  // shared by the client, the server and PostgreSQL. "server + database" against the bare server's
  // own CPU is the ratio a machine where the client and PostgreSQL ran elsewhere would tend to.
  for (const [window, of] of [
    ["in the closed loop (median of the slices)", (result: Result) => result.cpu],
    [`at ${RATE}/s (the open loop)`, (result: Result) => result.openLoopCpu],
  ] as const) {
    console.log(`\nCPU per delivery ${window}, µs: server + its PostgreSQL backends (+ this client)`);
    for (const result of results) {
      const { server, backends, client } = of(result);
      const own = server + backends;
      console.log(
        `${result.name.padEnd(28)} server ${server.toFixed(0).padStart(4)}  backends ${backends.toFixed(0).padStart(4)}  = ${own.toFixed(0).padStart(4)} µs` +
          `  (client ${client.toFixed(0)} µs)  bare server ÷ this: ${((100 * of(baseline!).server) / own).toFixed(0)} %`,
      );
    }
  }
  console.log(`load average at end: ${loadavg().map((load) => load.toFixed(2)).join(", ")}`);
} finally {
  await Promise.all(started.map(({ target }) => target.stop()));
}

/** One worker loop applying stored deliveries, in its own process (the servers above are gone by then). */
interface Drained {
  events: number;
  perSecond: number;
  firstSight: { events: number; perSecond: number };
}
function drain(databaseUrl?: string): Promise<Drained> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/webhooks/drain.ts", ...(databaseUrl ? [databaseUrl] : [])], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", ...(process.env.BENCH_DRAIN_BATCH ? { BENCH_DRAIN_BATCH: process.env.BENCH_DRAIN_BATCH } : {}), ...(process.env.BENCH_DRAIN_MAX_BATCH ? { BENCH_DRAIN_MAX_BATCH: process.env.BENCH_DRAIN_MAX_BATCH } : {}) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(output.trim().split("\n").at(-1)!) as Drained) : reject(new Error(`drain exited ${code}: ${output}`))));
  });
}

console.log("");
for (const [name, url] of [["PGlite", undefined], ["PostgreSQL", POSTGRES_URL]] as const) {
  if (process.env.BENCH_DRAIN === "0") break;
  const result = await drain(url);
  console.log(
    `worker on ${name}: applied ${result.events} inventory events of known items at ${result.perSecond.toFixed(0)}/s with one worker loop (claims of ${process.env.BENCH_DRAIN_BATCH ?? 50}${url ? `, growing to ${process.env.BENCH_DRAIN_MAX_BATCH ?? 500} on a backlog` : ""}, one transaction each); ` +
      `first sight of ${result.firstSight.events} unknown items (a placeholder variant each): ${result.firstSight.perSecond.toFixed(0)}/s`,
  );
}
