// `npm run backfill -- --shop <domain>`: copies a shop's whole catalog and stock from its platform
// (Shopify through its offline session's token) and waits for the end; exit code 1 when it failed.
// With the embedded database only while the server is stopped (`--server-stopped`): PGlite is one
// process's database, and a second process on the same folder would diverge from it.
import { parseArgs } from "node:util";
import { startBackfill } from "../app/backfill/backfill.server";
import { loadConfig } from "../app/config/config.server";
import { ConfigError } from "../app/config/errors";
import { closeAppContext, createAppContext } from "../app/context.server";
import { openDatabase } from "../app/db/database.server";
import { migrationStatus } from "../app/db/migrations.server";
import { findShopByDomainSql } from "../app/shops/sql/findShop";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { shop: { type: "string" }, "server-stopped": { type: "boolean", default: false } } });
  if (!values.shop) throw new ConfigError("Usage: npm run backfill -- --shop <shop domain (name.myshopify.com or stores/{hash})>");
  const config = loadConfig();
  if (!config.databaseUrl && !values["server-stopped"]) {
    throw new ConfigError("With the embedded database stop the server first and pass --server-stopped (or set DATABASE_URL)");
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const context = createAppContext(config, db);
  try {
    if (!(await migrationStatus(db.sql)).current) throw new ConfigError("The database is not at the latest migration: run `npm run setup` first");
    const shop = await findShopByDomainSql(db.sql, values.shop);
    if (!shop) throw new ConfigError(`No shop ${values.shop}: install the app on it first`);
    const started = await startBackfill(context, shop.id);
    console.log(`Backfill of ${values.shop} started at ${started.record.startedAt.toISOString()}`);
    const finished = await started.finished;
    console.log(JSON.stringify(finished));
    return finished.state === "done" ? 0 : 1;
  } finally {
    await closeAppContext(context);
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
