// `npm run bench:reservations`: reservations per second and p99 through the reservation engine,
// against a raw single-statement conditional UPDATE loop on the same database, on PGlite and on
// PostgreSQL (DATABASE_URL, default the machine's server). Then a flash sale: 256 shoppers on
// 10 hot items with few units, counting oversold units (must be 0). Bounded: ~1 minute.
import { AvailabilityCache } from "../../app/availability/cache";
import { createAvailability, type ItemAvailability } from "../../app/availability/availability.server";
import { LockstepError } from "../../app/config/errors";
import type { Database } from "../../app/db/database.server";
import { createReservations } from "../../app/reservations/reservations.server";
import { heldUnits, seedStockShop } from "../../test/reservations/stockFixture";
import { createTestDatabase } from "../../test/helpers/database";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const SERVER_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const HOT_ITEMS = 10;
/** Lines per request alternate between 1 and this (1 makes every request a single-row update on both sides). */
const MAX_LINES = Number(process.env.BENCH_MAX_LINES ?? 2);

interface Run {
  ops: number;
  seconds: number;
  latencies: number[];
}

/** `clients` loops calling `op` for `seconds`; every call's latency in ms. */
async function loop(clients: number, seconds: number, op: (client: number, i: number) => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; performance.now() < until; i++) {
        const t0 = performance.now();
        await op(client, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { ops: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

function p(latencies: number[], q: number): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const rate = (run: Run) => run.ops / run.seconds;

async function bench(kind: "pglite" | "postgres") {
  // A throw-away database (a new one on the server, dropped on close; PGlite in memory).
  const db = await createTestDatabase({ serverUrl: kind === "postgres" ? SERVER_URL : null });
  const clients = kind === "postgres" ? 32 : 8;
  try {
    const skus = Array.from({ length: HOT_ITEMS }, (_, i) => `HOT-${i}`);
    const shop = await seedStockShop(db, skus.map((sku) => ({ sku, stock: [10_000_000, 0] })), new Date());
    const cache = new AvailabilityCache<ItemAvailability>();
    const availability = createAvailability({ db, cache });
    const reservations = createReservations({ db, availability });
    await db.sql.exec(`CREATE TABLE bench_stock (id int PRIMARY KEY, on_hand int NOT NULL, reserved int NOT NULL);
      INSERT INTO bench_stock SELECT g, 10000000, 0 FROM generate_series(1, ${HOT_ITEMS}) g`);

    // Same shape of work on both sides: one or two random hot items per request.
    const pick = (client: number, i: number) => {
      const a = (client * 7 + i * 3) % HOT_ITEMS;
      const b = (a + 1 + ((client + i) % (HOT_ITEMS - 1))) % HOT_ITEMS;
      return i % 2 === 0 || MAX_LINES < 2 ? [a] : [a, b];
    };
    const raw = () =>
      loop(clients, SECONDS, async (client, i) => {
        // The baseline: one single-row conditional UPDATE per line, each its own transaction (no
        // all-or-none, no record of the hold, no idempotency, no expiry). One multi-row UPDATE per
        // request is not an option: concurrent ones lock rows in no fixed order and deadlock on PostgreSQL.
        for (const item of pick(client, i)) {
          await db.sql.query(`UPDATE bench_stock SET reserved = reserved + $2 WHERE id = $1 AND on_hand - reserved >= $2`, [item + 1, 1]);
        }
      });
    let run = 0;
    const engine = () => {
      run++;
      return loop(clients, SECONDS, async (client, i) => {
        await reservations.reserve(shop.shopId, { key: `bench-${run}-${client}-${i}`, lines: pick(client, i).map((item) => ({ sku: skus[item]!, quantity: 1 })), ttlSeconds: 600 });
      });
    };
    // Warm both paths (hold rows, plans), then measure baseline, engine, baseline, engine.
    await loop(clients, 0.5, async (client, i) => void (await reservations.reserve(shop.shopId, { key: `warm-${client}-${i}`, lines: [{ sku: skus[i % HOT_ITEMS]!, quantity: 1 }] })));
    const baseline1 = await raw();
    const engine1 = await engine();
    const baseline2 = await raw();
    const engine2 = await engine();
    const baselineRate = (rate(baseline1) + rate(baseline2)) / 2;
    const engineRate = (rate(engine1) + rate(engine2)) / 2;

    const sale = await flashSale(db, kind);
    return {
      kind,
      clients,
      baselineRate,
      baselineP99: p([...baseline1.latencies, ...baseline2.latencies], 0.99),
      engineRate,
      engineP50: p([...engine1.latencies, ...engine2.latencies], 0.5),
      engineP99: p([...engine1.latencies, ...engine2.latencies], 0.99),
      ratio: engineRate / baselineRate,
      sale,
    };
  } finally {
    await db.close();
  }
}

/** 256 shoppers at once on 10 hot items with 1–5 units each: how many units were sold beyond stock. */
async function flashSale(db: Database, kind: string) {
  const skus = Array.from({ length: HOT_ITEMS }, (_, i) => `SALE-${i}`);
  const stock = skus.map((_, i) => 1 + (i % 5));
  const shop = await seedStockShop(db, skus.map((sku, i) => ({ sku, stock: [stock[i]!, 0] })), new Date());
  const reservations = createReservations({ db, availability: createAvailability({ db, cache: new AvailabilityCache<ItemAvailability>() }) });
  let held = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 256 }, async (_, i) => {
      const lines = [{ sku: skus[i % HOT_ITEMS]!, quantity: 1 + (i % 2) }, ...(i % 3 === 0 ? [{ sku: skus[(i + 3) % HOT_ITEMS]!, quantity: 1 }] : [])];
      try {
        await reservations.reserve(shop.shopId, { key: `shopper-${i}`, lines });
        held++;
      } catch (error) {
        if (!(error instanceof LockstepError) || error.status !== 409) throw error;
        refused++;
      }
    }),
  );
  const ms = performance.now() - started;
  const units = await heldUnits(db, shop.shopId);
  const oversold = skus.reduce((sum, sku, i) => sum + Math.max(0, (units.get(sku) ?? 0) - stock[i]!), 0);
  if (oversold > 0) throw new Error(`${kind}: ${oversold} units oversold`);
  return { held, refused, oversold, ms };
}

const results = [];
for (const kind of ["pglite", "postgres"] as const) results.push(await bench(kind));
console.log(`Reservations (${SECONDS} s per measurement, ${HOT_ITEMS} hot items, ${MAX_LINES < 2 ? "1 line" : "1–2 lines"} per request)`);
for (const r of results) {
  console.log(
    `${r.kind.padEnd(9)} clients ${String(r.clients).padStart(2)}  raw UPDATE loop ${r.baselineRate.toFixed(0).padStart(6)}/s (p99 ${r.baselineP99.toFixed(2)} ms)` +
      `  reserve ${r.engineRate.toFixed(0).padStart(6)}/s (p50 ${r.engineP50.toFixed(2)} ms, p99 ${r.engineP99.toFixed(2)} ms)  ratio ${(r.ratio * 100).toFixed(1)} %` +
      `  | flash sale: ${r.sale.held} held, ${r.sale.refused} refused (409), oversold ${r.sale.oversold}, ${r.sale.ms.toFixed(0)} ms`,
  );
}
