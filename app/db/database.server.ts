import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { LockstepError } from "../config/errors";
import { PrismaClient } from "../generated/prisma/client";
import { rethrowDatabaseError } from "./unavailable";

/** A query runner for the hot paths where one hand-written statement beats the ORM. */
export interface SqlRunner {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions): Promise<Row[]>;
}

export interface QueryOptions {
  /**
   * Prepare the statement once per connection under this name and reuse its plan (PostgreSQL; PGlite
   * runs the text as usual): for a hot statement, parsing and planning cost the server more than
   * executing it. One name, one constant text.
   */
  prepareAs?: string;
}

export interface Sql extends SqlRunner {
  /** Runs several statements separated by `;` (no parameters): migrations, seeds. */
  exec(text: string): Promise<void>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

export interface Database {
  kind: "pglite" | "postgres";
  prisma: PrismaClient;
  sql: Sql;
  /** The driver adapter Prisma uses, also what the Wasm schema engine needs. */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgresql://…`: PostgreSQL. Absent: the embedded PGlite database in `dataDir`. */
  databaseUrl?: string;
  /** A folder, or `memory://` for a database that lives as long as the process. */
  dataDir?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  timeouts?: Partial<DatabaseTimeouts>;
}

/** How long Lockstep waits on its database before it gives up and answers 503 (never hangs). */
export interface DatabaseTimeouts {
  /** Opening a connection, or waiting for a free one in the pool (PostgreSQL). */
  connectMs: number;
  /** One statement, lock waits included (PostgreSQL's statement_timeout). */
  statementMs: number;
  /** A transaction waiting on its caller between statements: rolled back, its locks released (both databases). */
  idleInTransactionMs: number;
  /** An unused pooled connection is closed after this (PostgreSQL). */
  idleClientMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectMs: 5_000, statementMs: 20_000, idleInTransactionMs: 30_000, idleClientMs: 30_000 };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const timeouts = { ...DEFAULT_DATABASE_TIMEOUTS, ...options.timeouts };
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 10, timeouts) : openPGlite(options.dataDir ?? "memory://", timeouts);
}

/**
 * Runs `work` inside an open transaction with a deadline on idleness: when no statement has run
 * for `idleMs` (the caller awaits something that never comes), the transaction fails with
 * database_timeout and is rolled back, so one stuck caller cannot hold the connection (PGlite has
 * only one) or its locks forever. Statements the abandoned work issues afterwards are refused.
 */
async function withIdleDeadline<T>(work: (tx: SqlRunner) => Promise<T>, query: SqlRunner["query"], idleMs: number): Promise<T> {
  let ended = false;
  let running = 0;
  let expire: (error: LockstepError) => void = () => undefined;
  const expired = new Promise<never>((_, reject) => (expire = reject));
  const timer = setTimeout(function check() {
    // A statement still running is PostgreSQL's statement_timeout's business, not idleness.
    if (running > 0) timer.refresh();
    else expire(new LockstepError("database_timeout", `The transaction waited more than ${idleMs} ms between statements and was rolled back`, { retryable: true }));
  }, idleMs);
  const runner: SqlRunner = {
    async query<Row>(text: string, params?: unknown[], options?: QueryOptions) {
      if (ended) throw new LockstepError("transaction_closed", "The transaction already ended (it timed out)");
      running += 1;
      try {
        return await query<Row>(text, params, options);
      } finally {
        running -= 1;
        if (!ended) timer.refresh();
      }
    },
  };
  const working = work(runner);
  // The abandoned work may still fail later: that failure has no one left to tell.
  working.catch(() => undefined);
  try {
    return await Promise.race([working, expired]);
  } finally {
    ended = true;
    clearTimeout(timer);
  }
}

async function openPGlite(dataDir: string, timeouts: DatabaseTimeouts): Promise<Database> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create({ dataDir });
  const adapterFactory = new PrismaPGlite(pglite);
  const prisma = new PrismaClient({ adapter: adapterFactory });
  const sql: Sql = {
    async query<Row>(text: string, params?: unknown[]) {
      return (await pglite.query<Row>(text, params)).rows;
    },
    async exec(text) {
      await pglite.exec(text);
    },
    transaction(work) {
      return pglite.transaction((tx) =>
        withIdleDeadline(work, async <Row>(text: string, params?: unknown[]) => (await tx.query<Row>(text, params)).rows, timeouts.idleInTransactionMs),
      );
    },
  };
  return {
    kind: "pglite",
    prisma,
    sql,
    adapterFactory,
    async close() {
      await prisma.$disconnect();
      // PGlite re-arms timers and sets process.exitCode until it is closed.
      if (!pglite.closed) await pglite.close();
    },
  };
}

async function openPostgres(databaseUrl: string, poolSize: number, timeouts: DatabaseTimeouts): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    // Also bounds the wait for a free connection when all are busy: a 503 instead of a queue without end.
    connectionTimeoutMillis: timeouts.connectMs,
    idleTimeoutMillis: timeouts.idleClientMs,
    statement_timeout: timeouts.statementMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    // A peer that vanished without closing the socket is noticed instead of waited on.
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  const adapterFactory = new PrismaPg(pool);
  const prisma = new PrismaClient({ adapter: adapterFactory });
  const run = <Row>(runner: pg.Pool | pg.PoolClient, text: string, params?: unknown[], options?: QueryOptions) =>
    runner.query(options?.prepareAs ? { name: options.prepareAs, text, values: params } : { text, values: params }).then((result) => result.rows as Row[]);
  const sql: Sql = {
    async query<Row>(text: string, params?: unknown[], options?: QueryOptions) {
      return await run<Row>(pool, text, params, options).catch(rethrowDatabaseError);
    },
    async exec(text) {
      await pool.query(text).catch(rethrowDatabaseError);
    },
    async transaction(work) {
      const client = await pool.connect().catch(rethrowDatabaseError);
      let broken: unknown;
      // The server may end the session while it is checked out (idle-in-transaction timeout, restart):
      // an error event nobody listens to would end the process.
      const onError = (error: unknown) => (broken = error);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await withIdleDeadline(work, (text, params, options) => run(client, text, params, options), timeouts.idleInTransactionMs);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((rollbackError: unknown) => (broken = rollbackError));
        return rethrowDatabaseError(error);
      } finally {
        // A connection that could not even roll back is closed rather than handed to the next caller.
        client.off("error", onError);
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  };
  return {
    kind: "postgres",
    prisma,
    sql,
    adapterFactory,
    async close() {
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}
