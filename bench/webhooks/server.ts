// One benchmark target in its own process: `bare` (node:http that only checks the HMAC, the
// baseline), `bare-insert` (the same, then one durable `INSERT` of the body, committed before the
// 200: what the disk and PostgreSQL alone cost per delivery) or `lockstep` (the real webhook edge:
// verify, dedupe, group-committed durable write). BENCH_TRACE=1 adds `GET /__trace` (see trace.ts).
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../../app/config/config.server";
import { closeAppContext, createAppContext } from "../../app/context.server";
import { type Database, openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { Router } from "../../app/http/router.server";
import { installShop } from "../../app/shops/shops.server";
import { registerWebhookRoutes } from "../../app/http/platformWebhooks.server";
import { BENCH_SECRET, BENCH_SHOP } from "./constants";
import { record, startTracing, takeTrace, traced } from "./trace";

const TRACE = Boolean(process.env.BENCH_TRACE);

/**
 * `GET /__cpu`: CPU time used so far, in microseconds, by this process and by each PostgreSQL backend
 * serving its database (from /proc, so Linux only; none on PGlite, which runs in this process). The
 * client takes differences around a closed-loop slice: CPU per delivery, steadier than a ratio on a
 * shared machine. PostgreSQL's own background processes (WAL writer, checkpointer) are not counted.
 */
let backendPids: (() => Promise<number[]>) | undefined;
const TICK_MICROSECONDS = 10_000; // /proc/<pid>/stat counts in clock ticks of 1/100 s (CLK_TCK)
function processCpuMicroseconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROSECONDS;
  } catch {
    return undefined;
  }
}
function cpuPage(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.url !== "/__cpu") return false;
  void (async () => {
    const usage = process.cpuUsage();
    const backends: Record<string, number> = {};
    for (const pid of (await backendPids?.()) ?? []) {
      const used = processCpuMicroseconds(pid);
      if (used !== undefined) backends[pid] = used;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ server: usage.user + usage.system, backends }));
  })();
  return true;
}
async function databaseBackendPids(runner: { query: (text: string) => Promise<{ rows: Array<Record<string, unknown>> }> }): Promise<number[]> {
  const { rows } = await runner.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
  return rows.map((row) => Number(row.pid));
}


/** The bare server; with `insert`, each verified body is written by one autocommitted INSERT before the 200. */
function bare(insert?: (body: Buffer) => Promise<void>): http.Server {
  return http.createServer((req, res) => {
    if (cpuPage(req, res) || tracePage(req, res)) return;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const arrived = performance.now();
      if (TRACE) res.once("finish", () => record("(request, in the server)", performance.now() - arrived));
      const expected = createHmac("sha256", BENCH_SECRET).update(body).digest();
      const given = Buffer.from(String(req.headers["x-shopify-hmac-sha256"] ?? ""), "base64");
      const ok = given.length === expected.length && timingSafeEqual(given, expected);
      const answer = (status: number) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(status === 200 ? '{"ok":true}' : '{"error":{}}');
      };
      if (!ok || !insert) return answer(ok ? 200 : 401);
      insert(body).then(() => answer(200), () => answer(503));
    });
  });
}

/** A throw-away database on the server at `url`: its URL, and how to drop it. */
async function scratchDatabase(url: string, prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}`;
  await adminQuery(url, `CREATE DATABASE "${name}"`);
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return { url: scratch.toString(), drop: () => adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** The second baseline: a bare durable INSERT (synchronous_commit on, as the inbox) per delivery, pool of 10. */
async function bareInsert(databaseUrl: string): Promise<{ server: http.Server; cleanup: () => Promise<void> }> {
  const scratch = await scratchDatabase(databaseUrl, "lockstep_bench_insert");
  const pool = new pg.Pool({ connectionString: scratch.url, max: 10 });
  await pool.query("CREATE TABLE delivery (id bigserial PRIMARY KEY, payload text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())");
  serverStats = () => serverCounters(pool);
  backendPids = () => databaseBackendPids(pool);
  const insert = async (body: Buffer) => {
    const started = performance.now();
    await pool.query("INSERT INTO delivery (payload) VALUES ($1)", [body.toString("utf8")]);
    if (TRACE) traceInsert(performance.now() - started);
  };
  return {
    server: bare(insert),
    cleanup: async () => {
      await pool.end();
      await scratch.drop();
    },
  };
}

let insertTimes: number[] = [];
function traceInsert(ms: number): void {
  insertTimes.push(ms);
}

/** PostgreSQL's own counters (checkpoints, WAL written and flushed): differences over a window. */
let serverStats: (() => Promise<Record<string, number>>) | undefined;
async function serverCounters(runner: { query: (text: string) => Promise<{ rows: Array<Record<string, unknown>> }> }): Promise<Record<string, number>> {
  const { rows } = await runner.query(
    `SELECT b.checkpoints_timed, b.checkpoints_req, b.buffers_checkpoint, b.buffers_backend, b.buffers_backend_fsync,
            w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_write, w.wal_sync, w.wal_buffers_full
     FROM pg_stat_bgwriter b, pg_stat_wal w`,
  );
  return Object.fromEntries(Object.entries(rows[0]!).map(([name, value]) => [name, Number(value)]));
}
let countersAtReset: Record<string, number> | undefined;

/** `GET /__trace` (BENCH_TRACE=1): what was seen since the last call, then starts over. */
function tracePage(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (!TRACE || req.url !== "/__trace") return false;
  void (async () => {
    const lines = takeTrace();
    if (insertTimes.length > 0) {
      const sorted = insertTimes.sort((a, b) => a - b);
      const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
      lines.unshift(`${sorted.length}x INSERT (autocommit): p50 ${pick(0.5)} ms  p99 ${pick(0.99)} ms  max ${sorted.at(-1)!.toFixed(1)} ms`);
      insertTimes = [];
    }
    const counters = await serverStats?.();
    if (counters && countersAtReset) {
      lines.push(`PostgreSQL: ${Object.entries(counters).map(([name, value]) => `${name} +${value - countersAtReset![name]!}`).join(", ")}`);
    }
    countersAtReset = counters;
    res.writeHead(200, { "content-type": "text/plain" }).end(lines.join("\n"));
  })();
  return true;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

async function lockstep(databaseUrl: string | undefined, withoutNotify = false): Promise<{ server: http.Server; cleanup: () => Promise<void> }> {
  let db: Database;
  let cleanup: () => Promise<void>;
  if (databaseUrl) {
    const scratch = await scratchDatabase(databaseUrl, "lockstep_bench");
    db = await openDatabase({ databaseUrl: scratch.url, poolSize: 10 });
    const opened = db;
    serverStats = () => serverCounters({ query: async (text) => ({ rows: await opened.sql.query(text) }) });
    backendPids = () => databaseBackendPids({ query: async (text) => ({ rows: await opened.sql.query(text) }) });
    cleanup = async () => {
      await opened.close();
      await scratch.drop();
    };
  } else {
    // A data folder on disk, as the embedded mode runs in production: the write is durable, not just in memory.
    const dataDir = mkdtempSync(path.join(tmpdir(), "lockstep-bench-"));
    db = await openDatabase({ dataDir });
    cleanup = async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  await applyMigrations(db.sql);
  await installShop(db.prisma, { platform: "shopify", domain: BENCH_SHOP });
  const config = loadConfig({ NODE_ENV: "test", SHOPIFY_API_SECRET: BENCH_SECRET, DATABASE_URL: databaseUrl });
  const router = new Router();
  // Traced, the inbox's statements are timed (the database object is wrapped before the context takes it).
  // `lockstep-nonotify` (A/B only): the same server with the NOTIFY to worker processes left out.
  let sql = TRACE ? traced(db.sql) : db.sql;
  if (withoutNotify) {
    const inner = sql;
    sql = { ...inner, query: async (text, params, options) => (text.includes("pg_notify(") ? [] : inner.query(text, params, options)) };
  }
  const context = createAppContext(config, { ...db, sql });
  registerWebhookRoutes(router, context);
  const server = http.createServer((req, res) => {
    if (cpuPage(req, res) || tracePage(req, res)) return;
    if (TRACE) {
      // The server's own share of a request: from its headers being parsed to the answer handed to the socket.
      const arrived = performance.now();
      res.once("finish", () => record("(request, in the server)", performance.now() - arrived));
    }
    if (!router.handle(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  return {
    server,
    cleanup: async () => {
      await closeAppContext(context);
      await cleanup();
    },
  };
}

const mode = process.argv[2];
if (TRACE) startTracing();
const target =
  mode === "bare"
    ? { server: bare(), cleanup: async () => undefined }
    : mode === "bare-insert"
      ? await bareInsert(process.env.DATABASE_URL!)
      : await lockstep(process.env.DATABASE_URL || undefined, mode === "lockstep-nonotify");
target.server.keepAliveTimeout = 65_000;
target.server.listen(0, "127.0.0.1", () => console.log(`listening ${(target.server.address() as AddressInfo).port}`));
process.on("SIGTERM", () => {
  target.server.close();
  target.server.closeAllConnections();
  target.cleanup().then(() => process.exit(0), () => process.exit(1));
});
