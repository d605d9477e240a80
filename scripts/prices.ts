// `npm run prices -- import <file.csv> --shop <domain> [--list NAME] [--currency USD] [--by WHO]`:
// loads a price list or a scheduled sale (app/prices/csvImport.server.ts); nothing is applied when
// a row is refused, and every refused row is printed. With the embedded database only while the
// server is stopped (`--server-stopped`): PGlite is one process's database.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadConfig } from "../app/config/config.server";
import { ConfigError, LockstepError } from "../app/config/errors";
import { openDatabase } from "../app/db/database.server";
import { migrationStatus } from "../app/db/migrations.server";
import { importPriceCsv, type RowProblem } from "../app/prices/csvImport.server";

const USAGE = "Usage: npm run prices -- import <file.csv> --shop <shop domain> [--list NAME] [--currency USD] [--by WHO] [--server-stopped]";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { shop: { type: "string" }, list: { type: "string" }, currency: { type: "string" }, by: { type: "string" }, "server-stopped": { type: "boolean", default: false } },
  });
  const [command, file] = positionals;
  if (command !== "import" || !file || !values.shop) throw new ConfigError(USAGE);
  const config = loadConfig();
  if (!config.databaseUrl && !values["server-stopped"]) throw new ConfigError("With the embedded database stop the server first and pass --server-stopped (or set DATABASE_URL)");
  const csv = readFileSync(file, "utf8");
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (!(await migrationStatus(db.sql)).current) throw new ConfigError("The database is not at the latest migration: run `npm run setup` first");
    const [shop] = await db.sql.query<{ id: string }>(`SELECT id FROM shop WHERE domain = $1`, [values.shop]);
    if (!shop) throw new ConfigError(`No shop ${values.shop}`);
    const { versions } = await importPriceCsv(db.sql, shop.id, csv, { list: values.list, currency: values.currency, createdBy: `cli:${values.by ?? process.env.USER ?? "operator"}` });
    console.log(`Imported ${versions} price version(s) into ${values.shop}`);
    return 0;
  } catch (error) {
    if (!(error instanceof LockstepError)) throw error;
    console.error(`${error.code}: ${error.message}`);
    for (const row of (error.details?.rows as RowProblem[] | undefined) ?? []) console.error(`  line ${row.line}  ${row.sku}  ${row.code}: ${row.message}`);
    return 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
