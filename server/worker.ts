// `npm run worker`: a process that only processes the webhook inbox, next to any number of web
// processes, all on one PostgreSQL database (leases keep them off each other's rows).
// Operators' tools on the same database:
//   npm run worker -- dead-letters [--topic T] [--shop DOMAIN] [--from ISO] [--to ISO]
//   npm run worker -- replay --by WHO [--reason TEXT] [--id N ...] [--topic T] [--shop DOMAIN] [--from ISO] [--to ISO]
import { loadConfig } from "../app/config/config.server";
import { ConfigError } from "../app/config/errors";
import { closeAppContext, createAppContext } from "../app/context.server";
import { openDatabase } from "../app/db/database.server";
import { migrationStatus } from "../app/db/migrations.server";
import { parseArgs } from "node:util";
import type { Database } from "../app/db/database.server";
import { listDeadLetters } from "../app/webhooks/sql/listDeadLetters";
import { replayDeadLetters, type ReplaySelection } from "../app/webhooks/sql/replayDeadLetters";
import { startBackgroundWork, stopInOrder } from "../app/background.server";
import { sealStoredTokens } from "../app/shops/sealStoredTokens.server";
import { findShopByDomainSql } from "../app/shops/sql/findShop";
import { stopOnSignals } from "../app/shutdown.server";

async function selectionFrom(db: Database, args: string[]): Promise<{ selection: ReplaySelection; by?: string; reason?: string }> {
  const { values } = parseArgs({
    args,
    options: {
      id: { type: "string", multiple: true },
      topic: { type: "string" },
      shop: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      by: { type: "string" },
      reason: { type: "string" },
    },
  });
  let shopId: string | undefined;
  if (values.shop) {
    const shop = await findShopByDomainSql(db.sql, values.shop);
    if (!shop) throw new ConfigError(`No shop ${values.shop}`);
    shopId = shop.id;
  }
  const date = (value: string | undefined, name: string) => {
    if (value === undefined) return undefined;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) throw new ConfigError(`--${name} must be a date (ISO 8601)`);
    return parsed;
  };
  const selection: ReplaySelection = {
    ...(values.id && { ids: values.id }),
    ...(values.topic && { topic: values.topic }),
    ...(shopId && { shopId }),
    ...(values.from && { from: date(values.from, "from") }),
    ...(values.to && { to: date(values.to, "to") }),
  };
  return { selection, by: values.by, reason: values.reason };
}

/** `dead-letters` and `replay`: one-shot commands, then exit. */
async function runCommand(db: Database, command: string, args: string[]): Promise<void> {
  const { selection, by, reason } = await selectionFrom(db, args);
  if (command === "dead-letters") {
    for (const letter of await listDeadLetters(db.sql, selection)) {
      console.log(`${letter.id}  ${letter.shopDomain}  ${letter.topic}  attempts ${letter.attempts}  dead ${letter.deadAt?.toISOString()}  ${letter.lastError ?? ""}`);
    }
    return;
  }
  if (!by) throw new ConfigError("replay needs --by <who is asking> (it goes into the audit log)");
  const { replayId, inboxIds } = await replayDeadLetters(db.sql, { selection, requestedBy: by, reason });
  console.log(`Replay ${replayId}: ${inboxIds.length} dead letter(s) back in the inbox${inboxIds.length ? ` (${inboxIds.join(", ")})` : ""}`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    // PGlite is one process's database: a second process would open a diverging copy of the folder.
    throw new ConfigError("Invalid configuration: DATABASE_URL missing (separate worker processes need PostgreSQL; with the embedded database the workers run inside `npm start`)");
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, timeouts: config.database });
  const status = await migrationStatus(db.sql);
  if (!status.current) {
    await db.close();
    throw new ConfigError("The database is not at the latest migration: run `npm run setup` (or start the web process) first");
  }
  await sealStoredTokens(db.sql, config).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const [command, ...args] = process.argv.slice(2);
  if (command === "dead-letters" || command === "replay") {
    try {
      await runCommand(db, command, args);
    } finally {
      await db.close();
    }
    return;
  }
  if (command !== undefined) {
    await db.close();
    throw new ConfigError(`Unknown command "${command}" (expected nothing, dead-letters or replay)`);
  }
  const context = createAppContext(config, db);
  const loops = Math.max(1, config.webhooks.workers);
  // The same background work as a web process: what applies an event must also commit reservations,
  // invalidate caches (shared through Redis) and refresh the checkout metafields.
  const stops = await startBackgroundWork(context, { webhookWorkers: loops, onListening: () => console.log("Listening for new deliveries (LISTEN/NOTIFY)") });
  console.log(`Lockstep worker ${process.pid}: ${loops} webhook worker loop(s) on PostgreSQL`);

  // The rows in hand are finished within the deadline; a row still running then keeps its lease until it expires.
  stopOnSignals({ deadlineMs: config.shutdownTimeoutMs, stop: () => stopInOrder(stops).then(() => closeAppContext(context)).then(() => db.close()) });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
