import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../app/db/database.server";
import { applyMigrations, type Migration, MigrationError, migrationStatus, readMigrations, splitStatements } from "../../app/db/migrations.server";
import { diffMigrationsToSchema, SCHEMA_DIR } from "../../app/db/schemaEngine.server";
import { createTestDatabase } from "../helpers/database";

const migrations = readMigrations();

function migration(name: string, sql: string): Migration {
  return { name, sql, checksum: name + sql.length };
}

// Each test migrates fresh embedded databases from nothing: 10–30 s on a quiet machine, more under load.
describe("migrations", { timeout: 120_000 }, () => {
  it("bring a fresh database to the latest migration, and are a no-op the second time", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      expect((await migrationStatus(db.sql)).current).toBe(false);
      expect(await applyMigrations(db.sql)).toEqual(migrations.map((m) => m.name));
      expect(await applyMigrations(db.sql)).toEqual([]);
      const status = await migrationStatus(db.sql);
      expect(status).toMatchObject({ current: true, pending: [], modified: [] });
      const [row] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      expect(row?.n).toBe(migrations.length);
    } finally {
      await db.close();
    }
  });

  it("bring an existing database forward with only the new migrations", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      await applyMigrations(db.sql, migrations);
      await db.sql.query(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', 'kept.myshopify.com')`);
      const next = migration("99990101000000_add_note", `ALTER TABLE "shop" ADD COLUMN "note" TEXT;`);
      expect((await migrationStatus(db.sql, [...migrations, next])).pending).toEqual([next.name]);
      expect(await applyMigrations(db.sql, [...migrations, next])).toEqual([next.name]);
      const rows = await db.sql.query<{ domain: string; note: string | null }>(`SELECT domain, note FROM shop`);
      expect(rows).toEqual([{ domain: "kept.myshopify.com", note: null }]);
    } finally {
      await db.close();
    }
  });

  it("leave the database as it was when a migration fails", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      await applyMigrations(db.sql, migrations);
      const good = migration("99990101000000_good", `CREATE TABLE "half_written" (id INT);`);
      const bad = migration("99990102000000_bad", `ALTER TABLE "no_such_table" ADD COLUMN x INT;`);
      const failure = await applyMigrations(db.sql, [...migrations, good, bad]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationError);
      expect((failure as MigrationError).migration).toBe(bad.name);
      expect((failure as Error).message).toMatch(/no_such_table/);
      const [table] = await db.sql.query<{ exists: boolean }>(`SELECT to_regclass('half_written') IS NOT NULL AS exists`);
      expect(table?.exists).toBe(false);
      expect((await migrationStatus(db.sql, [...migrations, good, bad])).pending).toEqual([good.name, bad.name]);
    } finally {
      await db.close();
    }
  });

  it("refuse to run when an applied migration was edited", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      await applyMigrations(db.sql, migrations);
      const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
      expect((await migrationStatus(db.sql, edited)).modified).toEqual([migrations[0]!.name]);
      await expect(applyMigrations(db.sql, edited)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await db.close();
    }
  });

  it("match the schema in prisma/schema/ exactly (a schema change without its migration fails here)", async () => {
    const shadow = await openDatabase({ dataDir: "memory://" });
    try {
      expect(await diffMigrationsToSchema(shadow.adapterFactory, migrations, "prisma/migrations")).toBe("");
    } finally {
      await shadow.close();
    }
  }, 180_000);

  it("write the next migration from a schema change, offline", async () => {
    const schemaDir = mkdtempSync(path.join(tmpdir(), "lockstep-schema-"));
    cpSync(SCHEMA_DIR, schemaDir, { recursive: true });
    writeFileSync(path.join(schemaDir, "extra.prisma"), `model Extra {\n  id Int @id\n  note String?\n  @@map("extra")\n}\n`);
    const shadow = await openDatabase({ dataDir: "memory://" });
    try {
      const sql = await diffMigrationsToSchema(shadow.adapterFactory, migrations, "prisma/migrations", schemaDir);
      expect(sql).toContain(`CREATE TABLE "extra"`);
      expect(sql).not.toContain(`CREATE TABLE "shop"`);
      // The written SQL applies on top of the existing migrations.
      const db = await createTestDatabase({ migrate: false });
      try {
        await applyMigrations(db.sql, [...migrations, migration("99990101000000_extra", sql)]);
        await db.sql.query(`INSERT INTO extra (id, note) VALUES (1, 'ok')`);
      } finally {
        await db.close();
      }
    } finally {
      await shadow.close();
      rmSync(schemaDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("splitStatements", () => {
  it("splits on statement ends only, not inside strings, comments or function bodies", () => {
    const script = `-- a comment; still a comment
CREATE TABLE "a;b" (x TEXT DEFAULT 'semi;colon');
/* block; comment */ CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
SELECT 2`;
    expect(splitStatements(script)).toEqual([
      `-- a comment; still a comment\nCREATE TABLE "a;b" (x TEXT DEFAULT 'semi;colon')`,
      `/* block; comment */ CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql`,
      "SELECT 2",
    ]);
  });
});

describe("the embedded database", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("keeps its data in the data folder across a restart", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lockstep-pglite-"));
    dirs.push(dir);
    const first = await openDatabase({ dataDir: dir });
    await applyMigrations(first.sql);
    await first.prisma.shop.create({ data: { platform: "shopify", domain: "persisted.myshopify.com" } });
    await first.close();

    const second = await openDatabase({ dataDir: dir });
    try {
      expect((await migrationStatus(second.sql)).current).toBe(true);
      expect(await second.prisma.shop.findMany({ select: { domain: true } })).toEqual([{ domain: "persisted.myshopify.com" }]);
    } finally {
      await second.close();
    }
  }, 180_000);
});
