import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Sql } from "./database.server";

export interface Migration {
  /** The folder name, `<timestamp>_<name>`: also the order. */
  name: string;
  sql: string;
  /** sha256 of migration.sql, as Prisma records it. */
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations whose file changed since: a sign someone edited history. */
  modified: string[];
  current: boolean;
}

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../prisma/migrations");

// Prisma's own bookkeeping table, so that `prisma migrate deploy` on a connected machine agrees with us.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

// Any constant will do: it only has to be the same in every Lockstep process.
const MIGRATION_LOCK_ID = 7_412_303;

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`Migration ${migration} failed, nothing was applied: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "MigrationError";
  }
}

/**
 * Brings the database to the latest migration. All pending migrations run in one transaction
 * under an advisory lock: two processes starting at once apply them once, and a failing
 * migration leaves the database exactly as it was.
 */
export async function applyMigrations(sql: Sql, migrations: Migration[] = readMigrations()): Promise<string[]> {
  return sql.transaction(async (tx) => {
    // A migration may rewrite a big table and another process may wait on the lock for it: no statement timeout here.
    await tx.query("SET LOCAL statement_timeout = 0");
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
    await tx.query(CREATE_MIGRATIONS_TABLE);
    const status = await statusWith(tx, migrations);
    if (status.modified.length > 0) {
      throw new MigrationError(status.modified[0]!, new Error("its migration.sql changed after it was applied; add a new migration instead"));
    }
    for (const migration of migrations.filter((m) => status.pending.includes(m.name))) {
      try {
        await execStatements(tx, migration.sql);
        await tx.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
      } catch (error) {
        throw new MigrationError(migration.name, error);
      }
    }
    return status.pending;
  });
}

export async function migrationStatus(sql: Sql, migrations: Migration[] = readMigrations()): Promise<MigrationStatus> {
  const [table] = await sql.query<{ exists: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`);
  if (!table?.exists) return { applied: [], pending: migrations.map((m) => m.name), modified: [], current: migrations.length === 0 };
  return statusWith(sql, migrations);
}

async function statusWith(runner: Pick<Sql, "query">, migrations: Migration[]): Promise<MigrationStatus> {
  const rows = await runner.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const appliedChecksums = new Map(rows.map((row) => [row.migration_name, row.checksum]));
  const pending = migrations.filter((m) => !appliedChecksums.has(m.name)).map((m) => m.name);
  const modified = migrations.filter((m) => appliedChecksums.has(m.name) && appliedChecksums.get(m.name) !== m.checksum).map((m) => m.name);
  return { applied: [...appliedChecksums.keys()], pending, modified, current: pending.length === 0 && modified.length === 0 };
}

/**
 * The extended query protocol takes one statement at a time, so a migration file is split on
 * the semicolons that end statements (outside quotes, comments and dollar-quoted bodies).
 */
async function execStatements(runner: Pick<Sql, "query">, script: string): Promise<void> {
  for (const statement of splitStatements(script)) await runner.query(statement);
}

export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < script.length) {
    const rest = script.slice(i);
    const skip =
      rest.match(/^--[^\n]*/)?.[0] ??
      rest.match(/^\/\*[\s\S]*?\*\//)?.[0] ??
      rest.match(/^'(?:[^']|'')*'/)?.[0] ??
      rest.match(/^"(?:[^"]|"")*"/)?.[0] ??
      dollarQuoted(rest);
    if (skip) {
      current += skip;
      i += skip.length;
      continue;
    }
    const char = script[i]!;
    if (char === ";") {
      if (current.replace(/--[^\n]*/g, "").trim()) statements.push(current.trim());
      current = "";
    } else {
      current += char;
    }
    i += 1;
  }
  if (current.replace(/--[^\n]*/g, "").trim()) statements.push(current.trim());
  return statements;
}

function dollarQuoted(text: string): string | undefined {
  const open = text.match(/^\$([A-Za-z_]\w*)?\$/)?.[0];
  if (!open) return undefined;
  const end = text.indexOf(open, open.length);
  return end === -1 ? text : text.slice(0, end + open.length);
}
