/**
 * bench/batching: N price changes over 100,000 items through capture → coalescing → CSV and
 * Parquet files, on PostgreSQL (DATABASE_URL or 127.0.0.1:5432; a fresh database per size, dropped
 * after). Each size runs in its own process so its peak RSS is its own.
 *
 *   npm run bench:batching                    # 100k, 1M and 2M changes
 *   npm run bench:batching -- 100000          # one size
 *
 * Capture: changes applied in transactions of 10,000 (one UPDATE of the variants' prices, then the
 * pipeline's `captureChanges` in the same transaction, as the webhook consumers do). Coalescing: the
 * pipeline's coalescing as a files run reads it (`coalescedPages`: pages of 2,500, the files adapter's
 * `readPageSize`, two read at once) over the whole range, each page turned into file rows by the SFTP
 * adapter and written by the streamed writers a page at a time. Baseline: the same final
 * 100,000 rows, already in memory, written with csv-stringify and hyparquet-writer directly; the
 * ratio is baseline time ÷ (coalescing + writing) time, each the median of 3 rounds (the pipeline's and the
 * bare writers' interleaved; BENCH_BATCHING_ROUNDS). Between capture and coalescing the bench runs
 * VACUUM (ANALYZE) on the tables it churned, as autovacuum would before a run minutes later. Peak RSS is taken before the baseline
 * (which holds every row in memory by design). Each CSV and Parquet measurement also reports the CPU time it cost
 * this process (client) and the database's backends (server, from /proc when PostgreSQL runs on this machine),
 * medians of the rounds: on a shared machine the ratio moves with the load, the CPU far less.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { stringify } from "csv-stringify";
import { parquetWriteFile } from "hyparquet-writer";
import pg from "pg";
import type { FileRow, WrittenFile } from "../../app/batching/files/columns";
import { writeCsv } from "../../app/batching/files/csv";
import { writeParquet } from "../../app/batching/files/parquet";
import { captureChanges } from "../../app/batching/capture.server";
import { coalescedPages, PAGES_IN_FLIGHT } from "../../app/batching/coalescedPages";
import { countChanges } from "../../app/batching/sql/countChanges";
import type { PriceItem } from "../../app/batching/types";
import { type Database, openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { fileColumns, fileRowsOf, sftpFilesAdapter } from "../../app/destinations/sftp/adapter.server";

const ITEMS = 100_000;
const CAPTURE_BATCH = 10_000;
// Items per coalescing page: what a files destination's run reads.
const PAGE = Number(process.env.BENCH_BATCHING_PAGE ?? sftpFilesAdapter.readPageSize);
// Rounds of the coalescing and writing measurements (and of the bare writers', interleaved): medians are reported.
const ROUNDS = Number(process.env.BENCH_BATCHING_ROUNDS ?? 3);
// Pages read at once (BENCH_BATCHING_IN_FLIGHT=1: one after another, for an A/B).
const IN_FLIGHT = Number(process.env.BENCH_BATCHING_IN_FLIGHT ?? PAGES_IN_FLIGHT);
const SERVER_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** CPU time of one measurement: this process's, and the database backends' (from /proc; 0 when not readable). */
interface Cpu {
  clientMs: number;
  serverMs: number;
}

interface SizeResult {
  changes: number;
  changeRecords: number;
  captureMs: number;
  vacuumMs: number;
  /** Reading the coalesced items alone, writing nothing. */
  coalescingMs: number;
  csv: { ms: number; items: number; bytes: number; cpu: Cpu };
  parquet: { ms: number; items: number; bytes: number; cpu: Cpu };
  bare: { csvMs: number; parquetMs: number };
  peakRssMb: number;
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await runSize(Number(process.argv[3]))));
} else {
  const sizes = process.argv.slice(2).map(Number).filter((size) => size > 0);
  const results: SizeResult[] = [];
  for (const size of sizes.length > 0 ? sizes : [100_000, 1_000_000, 2_000_000]) {
    const child = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--child", String(size)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`the ${size} run failed (${child.status})`);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as SizeResult;
    results.push(result);
    const perSecond = (items: number, ms: number) => Math.round((items / ms) * 1000).toLocaleString("en");
    console.log(
      [
        `${size.toLocaleString("en")} changes over ${ITEMS.toLocaleString("en")} items: ${result.changeRecords.toLocaleString("en")} change records captured in ${(result.captureMs / 1000).toFixed(1)} s (${perSecond(size, result.captureMs)} changes/s)`,
        `  VACUUM (ANALYZE) after the capture: ${(result.vacuumMs / 1000).toFixed(1)} s`,
        `  coalescing alone (pages of ${PAGE.toLocaleString("en")}, ${IN_FLIGHT} in flight, no file; medians of ${ROUNDS} rounds): ${(result.coalescingMs / 1000).toFixed(2)} s`,
        `  coalescing → CSV:     ${result.csv.items.toLocaleString("en")} items, ${(result.csv.bytes / 1e6).toFixed(1)} MB in ${(result.csv.ms / 1000).toFixed(2)} s (${perSecond(result.csv.items, result.csv.ms)} items/s); bare csv-stringify ${(result.bare.csvMs / 1000).toFixed(2)} s → ${((result.bare.csvMs / result.csv.ms) * 100).toFixed(1)} %; CPU client ${result.csv.cpu.clientMs.toFixed(0)} ms, server ${result.csv.cpu.serverMs.toFixed(0)} ms`,
        `  coalescing → Parquet: ${result.parquet.items.toLocaleString("en")} items, ${(result.parquet.bytes / 1e6).toFixed(1)} MB in ${(result.parquet.ms / 1000).toFixed(2)} s (${perSecond(result.parquet.items, result.parquet.ms)} items/s); bare hyparquet-writer ${(result.bare.parquetMs / 1000).toFixed(2)} s → ${((result.bare.parquetMs / result.parquet.ms) * 100).toFixed(1)} %; CPU client ${result.parquet.cpu.clientMs.toFixed(0)} ms, server ${result.parquet.cpu.serverMs.toFixed(0)} ms`,
        `  peak RSS ${result.peakRssMb.toFixed(0)} MB`,
      ].join("\n"),
    );
  }
  if (results.length > 1) {
    const growth = results.at(-1)!.peakRssMb - results[0]!.peakRssMb;
    console.log(`peak RSS growth from ${results[0]!.changes.toLocaleString("en")} to ${results.at(-1)!.changes.toLocaleString("en")} changes: ${growth.toFixed(0)} MB (target < 64 MB)`);
  }
}

async function runSize(changes: number): Promise<SizeResult> {
  const name = `lockstep_bench_batching_${process.pid}_${randomBytes(3).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 4 });
  const dir = await mkdtemp(path.join(os.tmpdir(), "lockstep-bench-batching-"));
  try {
    await applyMigrations(db.sql);
    const shopId = await seedCatalog(db);
    const captureStarted = performance.now();
    await captureFlow(db, shopId, changes);
    const captureMs = performance.now() - captureStarted;
    // What autovacuum does between the capture and a run minutes later: the bench's UPDATEs left every
    // variant with N / 100,000 dead versions (full pages: not HOT), which each page's lookups would wade through.
    const vacuumStarted = performance.now();
    await db.sql.query(`VACUUM (ANALYZE) variant, change_latest, change_record`);
    const vacuumMs = performance.now() - vacuumStarted;
    const [{ count, to }] = (await db.sql.query<{ count: number; to: string }>(`SELECT count(*)::int AS count, COALESCE(max(id), 0)::text AS "to" FROM change_record WHERE shop_id = $1`, [shopId])) as [{ count: number; to: string }];

    // Each measurement ROUNDS times, the pipeline's and the bare libraries' interleaved; medians reported.
    const rounds: Array<{ coalescing: number; csv: Timed<WrittenFile>; parquet: Timed<WrittenFile>; bareCsv: number; bareParquet: number }> = [];
    let peakRssMb = 0;
    const rows: FileRow[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const coalescing = await timed(async () => {
        let items = 0;
        for await (const page of coalescedRows(db, shopId, to)) items += page.length;
        return items;
      });
      const backends = await backendPids(db, name);
      const csv = await timed(() => writeCsv(coalescedRows(db, shopId, to), fileColumns.price, createWriteStream(path.join(dir, "prices.csv"))), backends);
      const parquet = await timed(() => writeParquet(coalescedRows(db, shopId, to), fileColumns.price, createWriteStream(path.join(dir, "prices.parquet"))), backends);
      if (round === 0) {
        peakRssMb = process.resourceUsage().maxRSS / 1024;
        // The baseline: the same final rows, already in memory, straight into the libraries.
        for await (const page of coalescedRows(db, shopId, to)) rows.push(...page);
      }
      const bareCsv = await timed(() => pipeline(Readable.from(rows.map((row) => fileColumns.price.map((column) => String(row[column.name])))), stringify({ header: true, columns: fileColumns.price.map((column) => column.name) }), createWriteStream(path.join(dir, "bare.csv"))));
      const bareParquet = await timed(async () => {
        parquetWriteFile({ filename: path.join(dir, "bare.parquet"), columnData: fileColumns.price.map((column) => ({ name: column.name, data: rows.map((row) => row[column.name]), type: "STRING" as const })) });
      });
      rounds.push({ coalescing: coalescing.ms, csv, parquet, bareCsv: bareCsv.ms, bareParquet: bareParquet.ms });
    }
    const median = (of: (round: (typeof rounds)[number]) => number) => rounds.map(of).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
    // Every round writes the same files: rows and bytes from the first.
    const [{ csv, parquet }] = rounds as [(typeof rounds)[number]];
    return {
      changes,
      changeRecords: count,
      captureMs,
      vacuumMs,
      coalescingMs: median((round) => round.coalescing),
      csv: { ms: median((round) => round.csv.ms), items: csv.value.rows, bytes: csv.value.bytes, cpu: { clientMs: median((round) => round.csv.cpu.clientMs), serverMs: median((round) => round.csv.cpu.serverMs) } },
      parquet: { ms: median((round) => round.parquet.ms), items: parquet.value.rows, bytes: parquet.value.bytes, cpu: { clientMs: median((round) => round.parquet.cpu.clientMs), serverMs: median((round) => round.parquet.cpu.serverMs) } },
      bare: { csvMs: median((round) => round.bareCsv), parquetMs: median((round) => round.bareParquet) },
      peakRssMb,
    };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

async function seedCatalog(db: Database): Promise<string> {
  const [{ id }] = (await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', 'bench-batching.myshopify.com') RETURNING id`)) as [{ id: string }];
  await db.sql.query(`INSERT INTO product (id, shop_id, external_id, title, status) SELECT gen_random_uuid(), $1, 'p' || n, 'Product ' || n, 'active' FROM generate_series(1, $2) n`, [id, ITEMS / 4]);
  await db.sql.query(
    `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title, price)
     SELECT gen_random_uuid(), $1, p.id, 'v' || n, 'i' || n, 'SKU-' || lpad(n::text, 6, '0'), 'Variant ' || n, 10
     FROM generate_series(1, $2) n JOIN product p ON p.shop_id = $1 AND p.external_id = 'p' || ((n - 1) / 4 + 1)`,
    [id, ITEMS],
  );
  return id;
}

/**
 * Applies `changes` price changes (item i % 100,000, ever newer source times) the way a consumer
 * does: the forward-only UPDATE, then the pipeline's capture, in one transaction per 10,000.
 */
async function captureFlow(db: Database, shopId: string, changes: number): Promise<void> {
  const start = Date.UTC(2026, 0, 1);
  for (let from = 0; from < changes; from += CAPTURE_BATCH) {
    const batch = Array.from({ length: Math.min(CAPTURE_BATCH, changes - from) }, (_, k) => {
      const n = from + k;
      // A spread over the items that is not just their order: the bench's changes hit items at random-looking places.
      const item = ((n * 7_919) % ITEMS) + 1;
      return { variant: `v${item}`, price: ((n % 9_000) / 100 + 1).toFixed(2), at: new Date(start + n) };
    });
    await db.sql.transaction(async (tx) => {
      await tx.query(
        `UPDATE variant v SET price = i.price::numeric, source_updated_at = i.at, updated_at = now()
         FROM (SELECT DISTINCT ON (variant) variant, price, at FROM json_to_recordset($2::json) AS j(variant text, price text, at timestamptz) ORDER BY variant, at DESC) i
         WHERE v.shop_id = $1 AND v.external_id = i.variant AND (v.source_updated_at IS NULL OR v.source_updated_at <= i.at)`,
        [shopId, JSON.stringify(batch)],
      );
      await captureChanges(tx, "webhook", batch.map((change) => ({ shopId, kind: "price", variantExternalId: change.variant, sourceVersion: change.at, occurredAt: change.at })));
    });
  }
}

/**
 * The pipeline's coalescing as a files run reads it (`coalescedPages`: the pages' bounds first, two
 * pages read at once while the writer takes the one before), each page turned into the SFTP
 * adapter's file rows (`fileRowsOf`) and handed to the writer whole, as the adapter hands it.
 * (The run itself, app/batching/runs.server.ts, adds leases, validation and delivery results around these pages.)
 */
async function* coalescedRows(db: Database, shopId: string, to: string): AsyncGenerator<FileRow[]> {
  const range = { shopId, kind: "price" as const, from: "0", to };
  // The run counts its range's changes once per kind (the manifest's "changes in") before its pages.
  await countChanges(db.sql, range);
  for await (const page of coalescedPages(db.sql, range, PAGE, IN_FLIGHT)) {
    yield fileRowsOf(
      page.map(
        (row): PriceItem => ({
          kind: "price",
          shopId,
          sku: row.sku!,
          variantId: row.variantId,
          version: row.version!,
          occurredAt: row.occurredAt!,
          changeId: row.changeId,
          price: row.price!,
          currency: "EUR",
        }),
      ),
    );
  }
}

interface Timed<T> {
  ms: number;
  value: T;
  cpu: Cpu;
}

/** Runs `work`, timing it and (with `backends`, the database's backend pids) the CPU it cost on both sides. */
async function timed<T>(work: () => Promise<T>, backends: number[] = []): Promise<Timed<T>> {
  const serverBefore = backendCpuMs(backends);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  return { ms, value, cpu: { clientMs: (client.user + client.system) / 1000, serverMs: backendCpuMs(backends) - serverBefore } };
}

/** The pool's backends on the bench's database (the pool keeps its connections between rounds). */
async function backendPids(db: Database, database: string): Promise<number[]> {
  return (await db.sql.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database])).map((row) => row.pid);
}

/** User + system CPU of these processes so far (PostgreSQL on this machine; 0 for those /proc does not show). */
function backendCpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A backend on another machine, or gone.
    }
  }
  // Clock ticks of 10 ms (USER_HZ is 100 on Linux).
  return ticks * 10;
}

async function admin(text: string): Promise<void> {
  const url = new URL(SERVER_URL);
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
