import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { type Database, type DatabaseTimeouts, openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";

/** A throw-away database; `url` is where other processes reach it (null: embedded, this process only). */
export interface TestDatabase extends Database {
  url: string | null;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a brand-new
 * PostgreSQL database (created here, dropped on close) when DATABASE_URL points at a server.
 * `serverUrl` overrides DATABASE_URL: a server for a test that needs one on every run, or null for
 * the embedded database whatever the run.
 */
export async function createTestDatabase(options: { migrate?: boolean; serverUrl?: string | null; timeouts?: Partial<DatabaseTimeouts> } = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl === undefined ? process.env.DATABASE_URL : options.serverUrl;
  if (!serverUrl) {
    const db = await openDatabase({ dataDir: "memory://", timeouts: options.timeouts });
    if (options.migrate !== false) await applyMigrations(db.sql);
    return { ...db, url: null };
  }
  const name = `lockstep_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl, name);
  const db = await openDatabase({ databaseUrl: url, poolSize: 20, timeouts: options.timeouts });
  if (options.migrate !== false) await applyMigrations(db.sql);
  return {
    ...db,
    url,
    async close() {
      await db.close();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Registers beforeAll/afterAll for a test file and returns a getter for its database. */
export function useTestDatabase(options: { migrate?: boolean } = {}): () => Database {
  let db: Database | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(options);
  });
  afterAll(async () => {
    await db?.close();
  });
  return () => {
    if (!db) throw new Error("the test database is opened in beforeAll");
    return db;
  };
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The machine's PostgreSQL server, for the tests that need one on every run. */
export const POSTGRES_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** Runs `text` on the server's `postgres` database (CREATE / DROP DATABASE). */
export async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
