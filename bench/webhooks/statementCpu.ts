// PostgreSQL's CPU for the inbox's group-committed INSERT alone, per statement and per delivery:
// parsed and planned every time (unnamed) against prepared once per connection. One connection to a
// throw-away database; backend CPU is read from /proc/<pid>/stat (Linux, the server on this machine).
//   node --import tsx bench/webhooks/statementCpu.ts [rows per statement, default 30] [statements, default 300]
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { installShop } from "../../app/shops/shops.server";
import { STORE_DELIVERIES_SQL } from "../../app/webhooks/sql/storeDeliveries";
import { BENCH_SHOP } from "./constants";

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const ROWS = Number(process.argv[2] ?? 30);
const STATEMENTS = Number(process.argv[3] ?? 300);

function backendCpuMicroseconds(pid: number): number {
  // utime and stime, the 12th and 13th fields after the command name, in ticks of 1/100 s.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

let sequence = 0;
/** The statement's one parameter, as the inbox builds it: ROWS fresh inventory deliveries. */
function input(): string {
  return JSON.stringify(
    Array.from({ length: ROWS }, (_, ord) => {
      sequence += 1;
      return {
        ord,
        platform: "shopify",
        domain: BENCH_SHOP,
        topic: "inventory_levels/update",
        delivery_id: randomUUID(),
        event_id: randomUUID(),
        payload: JSON.stringify({ inventory_item_id: 1000 + (sequence % 1000), location_id: 1 + (sequence % 10), available: sequence % 50, updated_at: new Date().toISOString() }),
        api_version: "2025-07",
        triggered_at: new Date().toISOString(),
        received_at: new Date().toISOString(),
      };
    }),
  );
}

const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
const name = `lockstep_bench_statement_${process.pid}`;
await admin.query(`CREATE DATABASE "${name}"`);
const url = new URL(SERVER_URL);
url.pathname = `/${name}`;
try {
  const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 1 });
  await applyMigrations(db.sql);
  await installShop(db.prisma, { platform: "shopify", domain: BENCH_SHOP });
  await db.close();
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  const pid = rows[0]!.pid;
  const variants = {
    "unnamed (parsed and planned each time)": () => client.query(STORE_DELIVERIES_SQL, [input()]),
    "prepared once per connection": () => client.query({ name: "store_deliveries", text: STORE_DELIVERIES_SQL, values: [input()] }),
  };
  // Twice each, alternating, so that a burst of load elsewhere shows as a disagreement between the two.
  for (let round = 0; round < 2; round++) {
    for (const [variant, run] of Object.entries(variants)) {
      const before = backendCpuMicroseconds(pid);
      for (let i = 0; i < STATEMENTS; i++) await run();
      const used = backendCpuMicroseconds(pid) - before;
      console.log(`${variant.padEnd(40)} ${ROWS} rows: backend ${(used / STATEMENTS).toFixed(0).padStart(5)} µs per statement, ${(used / STATEMENTS / ROWS).toFixed(1).padStart(6)} µs per delivery`);
    }
  }
  await client.end();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}
