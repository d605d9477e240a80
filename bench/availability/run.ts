// `npm run bench:availability`: (1) a cache hit inside the process, latency per read (target p99 < 1 ms),
// beside a miss that reads the database; (2) GET /api/v1/availability through Lockstep's real edge
// server against a bare node:http server that only checks the token and answers a fixed body, each in
// its own process, this process as the client (target: at least 90 % of the bare throughput, issue 15),
// with the CPU each server spends per answer (steadier than throughput on a shared machine). ~30 s.
import http from "node:http";
import path from "node:path";
import { AvailabilityCache } from "../../app/availability/cache";
import { createAvailability, type ItemAvailability } from "../../app/availability/availability.server";
import { openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { seedStockShop } from "../../test/reservations/stockFixture";
import { type BenchServer, startBenchServer } from "../benchServer";
import { BENCH_SKUS, BENCH_TOKEN } from "./constants";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HIT_READS = Number(process.env.BENCH_HIT_READS ?? 200_000);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
// Answers each server gives before the rounds: by count, not time, so that on a busy machine the
// optimising compiler has seen as many requests as on a quiet one (a cold server costs twice the CPU).
const WARM_UP_ANSWERS = Number(process.env.BENCH_WARM_UP_ANSWERS ?? 20_000);
const WARM_UP_MAX_MS = 15_000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function inProcess() {
  const db = await openDatabase({ dataDir: "memory://" });
  try {
    await applyMigrations(db.sql);
    const shop = await seedStockShop(db, BENCH_SKUS.map((sku) => ({ sku, stock: [3, 1] })), new Date());
    const availability = createAvailability({ db, cache: new AvailabilityCache<ItemAvailability>() });
    const misses: number[] = [];
    for (let i = 0; i < 200; i++) {
      await availability.invalidate(shop.shopId, [BENCH_SKUS[i % BENCH_SKUS.length]!]);
      const t0 = performance.now();
      await availability.bySku(shop.shopId, [BENCH_SKUS[i % BENCH_SKUS.length]!]);
      misses.push(performance.now() - t0);
    }
    const hits: number[] = new Array(HIT_READS);
    for (let i = 0; i < HIT_READS; i++) {
      const t0 = performance.now();
      await availability.bySku(shop.shopId, [BENCH_SKUS[i % BENCH_SKUS.length]!]);
      hits[i] = performance.now() - t0;
    }
    hits.sort((a, b) => a - b);
    misses.sort((a, b) => a - b);
    return { hits, misses };
  } finally {
    await db.close();
  }
}

function startServer(mode: "bare" | "lockstep"): Promise<BenchServer> {
  return startBenchServer("bench/availability/server.ts", [mode], { cwd: ROOT });
}

/**
 * CONCURRENCY keep-alive clients asking for one SKU each time, for `ms`: answers per second, and the
 * server's CPU per answer (µs) when it can be read.
 */
async function hammer(server: BenchServer, ms: number, maxAnswers = Infinity): Promise<{ perSecond: number; failures: number; cpuMicros?: number }> {
  const { port } = server;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  let failures = 0;
  const until = performance.now() + ms;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, agent, path: `/api/v1/availability?sku=${BENCH_SKUS[i % BENCH_SKUS.length]}`, headers: { authorization: `Bearer ${BENCH_TOKEN}` } }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) done++;
          else failures++;
          resolve();
        });
      });
      req.on("error", () => {
        failures++;
        resolve();
      });
    });
  const started = performance.now();
  const cpuBefore = server.cpuSeconds();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, client) => {
    for (let i = client; performance.now() < until && done < maxAnswers; i += CONCURRENCY) await one(i);
  }));
  const cpuAfter = server.cpuSeconds();
  agent.destroy();
  const cpuMicros = cpuBefore !== undefined && cpuAfter !== undefined && done > 0 ? ((cpuAfter - cpuBefore) / done) * 1e6 : undefined;
  return { perSecond: done / ((performance.now() - started) / 1000), failures, cpuMicros };
}

function median(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return known.length === 0 ? undefined : known[Math.floor(known.length / 2)];
}

const { hits, misses } = await inProcess();
const bare = await startServer("bare");
const lockstep = await startServer("lockstep");
try {
  await hammer(bare, WARM_UP_MAX_MS, WARM_UP_ANSWERS);
  await hammer(lockstep, WARM_UP_MAX_MS, WARM_UP_ANSWERS);
  const rounds: { bare: number; lockstep: number; bareCpu?: number; lockstepCpu?: number }[] = [];
  let failures = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved so that a neighbour's load on the machine hits both sides alike.
    const b = await hammer(bare, ROUND_MS);
    const l = await hammer(lockstep, ROUND_MS);
    failures += b.failures + l.failures;
    rounds.push({ bare: b.perSecond, lockstep: l.perSecond, bareCpu: b.cpuMicros, lockstepCpu: l.cpuMicros });
  }
  const bareRate = rounds.reduce((s, r) => s + r.bare, 0) / rounds.length;
  const lockstepRate = rounds.reduce((s, r) => s + r.lockstep, 0) / rounds.length;
  console.log("Availability");
  console.log(`  cache hit in process: p50 ${(quantile(hits, 0.5) * 1000).toFixed(1)} µs, p99 ${(quantile(hits, 0.99) * 1000).toFixed(1)} µs, p99.9 ${(quantile(hits, 0.999) * 1000).toFixed(1)} µs (${HIT_READS} reads; target p99 < 1 ms)`);
  console.log(`  cache miss (PGlite read) for comparison: p50 ${quantile(misses, 0.5).toFixed(2)} ms, p99 ${quantile(misses, 0.99).toFixed(2)} ms`);
  console.log(`  HTTP GET /api/v1/availability, ${CONCURRENCY} keep-alive clients, ${ROUNDS} x ${ROUND_MS} ms interleaved:`);
  console.log(`    bare node:http ${bareRate.toFixed(0)}/s, Lockstep ${lockstepRate.toFixed(0)}/s, ratio ${((lockstepRate / bareRate) * 100).toFixed(1)} % (target >= 90 %, issue 15)` + (failures ? `, ${failures} failed requests` : ""));
  console.log(`    per round (bare / Lockstep): ${rounds.map((r) => `${r.bare.toFixed(0)} / ${r.lockstep.toFixed(0)}`).join(", ")}`);
  // The steadier figure on a shared machine: what one answer costs the server, whatever the neighbours do.
  const bareCpu = median(rounds.map((r) => r.bareCpu));
  const lockstepCpu = median(rounds.map((r) => r.lockstepCpu));
  if (bareCpu !== undefined && lockstepCpu !== undefined) {
    console.log(`    server CPU per answer (median round): bare ${bareCpu.toFixed(1)} µs, Lockstep ${lockstepCpu.toFixed(1)} µs (bare ÷ Lockstep ${((bareCpu / lockstepCpu) * 100).toFixed(1)} %)`);
  }
} finally {
  await bare.stop();
  await lockstep.stop();
}
