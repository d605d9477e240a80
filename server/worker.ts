// `npm run worker`: a process that only processes the webhook inbox, next to any number of web
// processes, all on one PostgreSQL database (leases keep them off each other's rows).
import { loadConfig } from "../app/config/config.server";
import { ConfigError } from "../app/config/errors";
import type { AppContext } from "../app/context.server";
import { openDatabase } from "../app/db/database.server";
import { migrationStatus } from "../app/db/migrations.server";
import { startWebhookWorkers } from "../app/webhooks/workers.server";

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    // PGlite is one process's database: a second process would open a diverging copy of the folder.
    throw new ConfigError("Invalid configuration: DATABASE_URL missing (separate worker processes need PostgreSQL; with the embedded database the workers run inside `npm start`)");
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl });
  const status = await migrationStatus(db.sql);
  if (!status.current) {
    await db.close();
    throw new ConfigError("The database is not at the latest migration: run `npm run setup` (or start the web process) first");
  }
  const context: AppContext = { config, db, startedAt: new Date() };
  const loops = Math.max(1, config.webhooks.workers);
  const stop = startWebhookWorkers(context, { count: loops, onListening: () => console.log("Listening for new deliveries (LISTEN/NOTIFY)") });
  console.log(`Lockstep worker ${process.pid}: ${loops} webhook worker loop(s) on PostgreSQL`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing the rows in hand`);
    stop()
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
