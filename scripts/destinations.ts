// `npm run destinations -- <command>`: operators manage a shop's delayed destinations.
//   create --shop <domain> --json '<destination>'   e.g. {"name":"ERP","kind":"erp_http","endpoint":"https://erp/api","receives":["price"],"cadence":"*/15 * * * *"}
//   update <id> --json '<changes>'                   e.g. {"mode":"live"} (to live: a full run follows)
//   list [--shop <domain>]
//   test <id>                                         test connection
//   sync <id> [--full | --rollback <run id>] [--run]  ask for a run (the server's background work takes it; --run: run it here)
//   runs <id> [--limit 10]                            the newest runs with their manifests
//   dead-letters <id> [--limit 100]                   the destination's dead order events (with how many wait behind each)
//   replay <id> [--event <event id>]…                 put its dead order events (all, or the given ones) back in the queue; audited
//   shadow-events <id> [--limit 100]                  what a shadow destination would have been sent (order events)
// Credentials and signing secrets are sealed and never printed. With the embedded database only
// while the server is stopped (`--server-stopped`), as for the backfill.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { createDestination, listDestinations, requestRun, testConnection, updateDestination } from "../app/batching/destinations.server";
import { listOrderEventDeadLetters, listShadowOrderEvents, replayOrderEvents } from "../app/batching/orderEvents.server";
import { runDueDestination } from "../app/batching/runs.server";
import { listRuns } from "../app/batching/sql/listRuns";
import { processAdapters } from "../app/batching/scheduler.server";
import { loadConfig } from "../app/config/config.server";
import { ConfigError, LockstepError } from "../app/config/errors";
import { closeAppContext, createAppContext } from "../app/context.server";
import { openDatabase } from "../app/db/database.server";
import { migrationStatus } from "../app/db/migrations.server";
import { findShopByDomainSql } from "../app/shops/sql/findShop";


const USAGE = "Usage: npm run destinations -- create|update|list|test|sync|runs|dead-letters|replay|shadow-events … (see scripts/destinations.ts)";

function parseJson(text: string | undefined): unknown {
  if (!text) throw new ConfigError("--json '<object>' is required");
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError("--json is not valid JSON");
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      shop: { type: "string" },
      json: { type: "string" },
      full: { type: "boolean", default: false },
      rollback: { type: "string" },
      run: { type: "boolean", default: false },
      limit: { type: "string" },
      event: { type: "string", multiple: true },
      "server-stopped": { type: "boolean", default: false },
    },
  });
  const [command, id] = positionals;
  if (!command) throw new ConfigError(USAGE);
  const config = loadConfig();
  if (!config.databaseUrl && !values["server-stopped"]) throw new ConfigError("With the embedded database stop the server first and pass --server-stopped (or set DATABASE_URL)");
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const context = createAppContext(config, db);
  const deps = { sql: db.sql, encryptionKey: config.encryptionKey, adapters: processAdapters(context) };
  const shopId = async (domain: string | undefined) => {
    if (!domain) return undefined;
    const shop = await findShopByDomainSql(db.sql, domain);
    if (!shop) throw new ConfigError(`No shop ${domain}`);
    return shop.id;
  };
  const limit = (fallback: number) => {
    if (values.limit === undefined) return fallback;
    const parsed = Number(values.limit);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 10_000) throw new ConfigError("--limit takes a whole number from 1 to 10000");
    return parsed;
  };
  const needId = () => {
    if (!id || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new ConfigError(`${command} needs a destination id (npm run destinations -- list)`);
    return id;
  };
  // An unknown destination is an error, not an empty list (a mistyped id would look like "nothing dead").
  const knownId = async () => {
    const [row] = await db.sql.query<{ id: string }>(`SELECT id::text AS id FROM destination WHERE id = $1::uuid`, [needId()]);
    if (!row) throw new ConfigError(`No destination ${id} (npm run destinations -- list)`);
    return row.id;
  };
  try {
    if (!(await migrationStatus(db.sql)).current) throw new ConfigError("The database is not at the latest migration: run `npm run setup` first");
    switch (command) {
      case "create": {
        const shop = await shopId(values.shop);
        if (!shop) throw new ConfigError("create needs --shop <domain>");
        console.log(JSON.stringify(await createDestination(deps, shop, parseJson(values.json)), null, 2));
        return 0;
      }
      case "update": {
        const [row] = await db.sql.query<{ shop_id: string }>(`SELECT shop_id FROM destination WHERE id::text = $1`, [needId()]);
        if (!row) throw new ConfigError(`No destination ${id}`);
        console.log(JSON.stringify(await updateDestination(deps, row.shop_id, id!, parseJson(values.json)), null, 2));
        return 0;
      }
      case "list":
        console.log(JSON.stringify(await listDestinations(db.sql, await shopId(values.shop)), null, 2));
        return 0;
      case "test": {
        const check = await testConnection(deps, needId());
        console.log(JSON.stringify(check));
        return check.ok ? 0 : 1;
      }
      case "sync": {
        await requestRun(db.sql, undefined, needId(), values.rollback ? `rollback:${values.rollback}` : values.full ? "full" : "sync_now");
        if (!values.run) {
          console.log("Run requested: the next background tick takes it");
          return 0;
        }
        const outcome = await runDueDestination({ ...deps, owner: `cli-${randomUUID().slice(0, 8)}` }, id);
        console.log(JSON.stringify(outcome ?? { message: "another process is running this destination now" }, null, 2));
        return outcome?.status === "failed" ? 1 : 0;
      }
      case "runs":
        console.log(JSON.stringify(await listRuns(db.sql, await knownId(), limit(10)), null, 2));
        return 0;
      case "dead-letters":
        console.log(JSON.stringify(await listOrderEventDeadLetters(db.sql, { destinationId: await knownId(), limit: limit(100) }), null, 2));
        return 0;
      case "replay": {
        const ids = values.event ?? [];
        const bad = ids.find((event) => !/^(oe_)?\d{1,18}$/.test(event));
        if (bad) throw new ConfigError(`--event ${bad}: an order event id is a number (or oe_<number>), see dead-letters`);
        const destinationId = await knownId();
        const wanted = ids.map((event) => event.replace(/^oe_/, ""));
        // Every named event must be a dead event of this destination, checked before anything is replayed.
        const dead = new Set((await listOrderEventDeadLetters(db.sql, { destinationId, limit: 10_000 })).map((letter) => letter.id));
        const notDead = wanted.find((event) => !dead.has(event));
        if (notDead) throw new ConfigError(`--event ${notDead}: not a dead order event of destination ${destinationId} (see dead-letters); nothing replayed`);
        const replayed = await replayOrderEvents(db.sql, { destinationId, ids: wanted.length > 0 ? wanted : undefined, actor: "cli" });
        console.log(JSON.stringify({ replayed }));
        return 0;
      }
      case "shadow-events":
        console.log(JSON.stringify(await listShadowOrderEvents(db.sql, await knownId(), limit(100)), null, 2));
        return 0;
      default:
        throw new ConfigError(USAGE);
    }
  } finally {
    await closeAppContext(context);
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof LockstepError) console.error(JSON.stringify({ error: { code: error.code, message: error.message } }));
    else console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
