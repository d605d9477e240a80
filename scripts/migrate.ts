// `npm run db:migrate` brings the configured database to the latest migration.
// `npm run db:migration -- <name>` writes prisma/migrations/<timestamp>_<name>/migration.sql
// with the SQL that takes the migrations to the schema in prisma/schema/, offline.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../app/config/config.server";
import { openDatabase } from "../app/db/database.server";
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from "../app/db/migrations.server";
import { diffMigrationsToSchema } from "../app/db/schemaEngine.server";
import { sealStoredTokens } from "../app/shops/sealStoredTokens.server";

async function deploy(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database });
  try {
    const applied = await applyMigrations(db.sql);
    console.log(applied.length ? `Applied ${applied.join(", ")}` : "Database already at the latest migration");
    // A SQL migration cannot encrypt: tokens stored in clear by earlier versions are sealed here.
    const sealed = await sealStoredTokens(db.sql, config);
    if (sealed > 0) console.log(`Sealed the stored tokens of ${sealed} Shopify session(s)`);
  } finally {
    await db.close();
  }
}

async function newMigration(name: string | undefined): Promise<void> {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error("Usage: npm run db:migration -- <name>   (lower-case letters, digits and _)");
  }
  // The diff replays the migrations on a throw-away in-memory database: no server, no internet.
  const shadow = await openDatabase({ dataDir: "memory://" });
  try {
    const sql = await diffMigrationsToSchema(shadow.adapterFactory, readMigrations(), MIGRATIONS_DIR);
    if (!sql) {
      console.log("The schema matches the migrations: nothing to write.");
      return;
    }
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const dir = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "migration.sql"), sql);
    writeFileSync(path.join(MIGRATIONS_DIR, "migration_lock.toml"), '# Do not edit: written by scripts/migrate.ts\nprovider = "postgresql"\n');
    console.log(`Wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
  } finally {
    await shadow.close();
  }
}

const [command, name] = process.argv.slice(2);
const run = command === "new" ? newMigration(name) : deploy();
run.then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
