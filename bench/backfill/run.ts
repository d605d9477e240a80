/**
 * bench/backfill: how long the initial backfill of a shop takes, against the Shopify simulator
 * (2,500 products × 4 variants × 3 locations: 42,503 rows through two bulk operations), on PGlite
 * and on PostgreSQL (when reachable at DATABASE_URL or 127.0.0.1:5432).
 *
 *   npm run bench:backfill
 *
 * Baselines measured in the same run: reading the catalog alone (bulk operations, JSONL download
 * and parsing, no database), and writing the same rows, already in memory, with plain INSERTs in
 * batches of the same size (no forward-only checks, no SKU moves, no ownership checks). The ratio
 * to the plain INSERTs is what the backfill's safety costs on the database side.
 */
import pg from "pg";
import { runBackfill } from "../../app/backfill/backfill.server";
import type { CatalogRow, RowOf } from "../../app/catalog/catalogRows";
import { readShopifyCatalog } from "../../app/backfill/shopify.server";
import { type Database, openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { startShopifySimulator } from "../../simulators/shopify/server";

const DOMAIN = "bench-backfill.myshopify.com";
const BATCH = 500;
const SERVER_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const sim = await startShopifySimulator({
  shops: [{ domain: DOMAIN, accessToken: "shpat_bench", bucket: { maximumAvailable: 2_000, restoreRate: 1_000 }, seed: { products: 2_500, variantsPerProduct: 4, locations: ["A", "B", "C"] } }],
});
const registry = createLimiterRegistry({ refillIntervalMs: 25 });
const client = createShopifyAdminClient({ shop: DOMAIN, accessToken: "shpat_bench", registry, endpoint: sim.endpointFor(DOMAIN) });
const read = () => readShopifyCatalog(client, { pollIntervalMs: 10 });

const readStarted = performance.now();
const rows: CatalogRow[] = [];
for await (const row of read()) rows.push(row);
const readMs = performance.now() - readStarted;
console.log(`catalog: ${rows.length} rows; reading alone (bulk operations + JSONL, no database): ${readMs.toFixed(0)} ms`);

/** The rows already read, handed over as a reader would. */
async function* inMemory(): AsyncGenerator<CatalogRow> {
  yield* rows;
}

async function newShop(db: Database, domain: string): Promise<string> {
  const [row] = await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', $1) RETURNING id`, [domain]);
  return row!.id;
}

/** The baseline: the same rows with plain INSERTs, batch by batch, one transaction each. */
async function plainInserts(db: Database, shopId: string): Promise<void> {
  const of = <K extends CatalogRow["kind"]>(batch: CatalogRow[], kind: K) => batch.filter((row): row is RowOf<K> => row.kind === kind);
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    await db.sql.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO location (id, shop_id, external_id, name, active) SELECT gen_random_uuid(), $1, "externalId", name, active FROM json_to_recordset($2::json) AS i("externalId" text, name text, active boolean)`,
        [shopId, JSON.stringify(of(batch, "location"))],
      );
      await tx.query(
        `INSERT INTO product (id, shop_id, external_id, title, status) SELECT gen_random_uuid(), $1, "externalId", title, status FROM json_to_recordset($2::json) AS i("externalId" text, title text, status text)`,
        [shopId, JSON.stringify(of(batch, "product"))],
      );
      await tx.query(
        `INSERT INTO variant (id, shop_id, product_id, external_id, inventory_item_external_id, sku, title, price)
         SELECT gen_random_uuid(), $1, p.id, i."externalId", i."inventoryItemExternalId", i.sku, i.title, i.price::numeric
         FROM json_to_recordset($2::json) AS i("externalId" text, "productExternalId" text, "inventoryItemExternalId" text, sku text, title text, price text)
         JOIN product p ON p.shop_id = $1 AND p.external_id = i."productExternalId"`,
        [shopId, JSON.stringify(of(batch, "variant"))],
      );
      await tx.query(
        `INSERT INTO inventory_level (shop_id, variant_id, location_id, on_hand, committed, incoming)
         SELECT $1, v.id, l.id, i."onHand", i.committed, i.incoming
         FROM json_to_recordset($2::json) AS i("inventoryItemExternalId" text, "locationExternalId" text, "onHand" int, committed int, incoming int)
         JOIN variant v ON v.shop_id = $1 AND v.inventory_item_external_id = i."inventoryItemExternalId"
         JOIN location l ON l.shop_id = $1 AND l.external_id = i."locationExternalId"`,
        [shopId, JSON.stringify(of(batch, "level"))],
      );
    });
  }
}

async function measure(db: Database, label: string): Promise<void> {
  await applyMigrations(db.sql);
  const baselineStarted = performance.now();
  await plainInserts(db, await newShop(db, "baseline.myshopify.com"));
  const baselineMs = performance.now() - baselineStarted;

  const shopId = await newShop(db, DOMAIN);
  const deps = { sql: db.sql, batchSize: BATCH, invalidate: async () => undefined };
  // Writing alone: the rows already read, so the figure is the database side of the backfill.
  const writeStarted = performance.now();
  const written = await runBackfill({ ...deps, catalogOf: inMemory }, shopId);
  const writeMs = performance.now() - writeStarted;
  const fullStarted = performance.now();
  const full = await runBackfill({ ...deps, catalogOf: read }, await newShop(db, "full.myshopify.com"));
  const fullMs = performance.now() - fullStarted;
  const againStarted = performance.now();
  const again = await runBackfill({ ...deps, catalogOf: inMemory }, shopId);
  const againMs = performance.now() - againStarted;
  if ([written, full, again].some((record) => record.state !== "done")) throw new Error(`a backfill failed: ${[written, full, again].map((r) => r.error).join("; ")}`);
  const perSecond = (ms: number) => Math.round(rows.length / (ms / 1000));
  console.log(`\n${label}`);
  console.log(`  plain INSERTs (baseline)        ${baselineMs.toFixed(0).padStart(6)} ms  ${perSecond(baselineMs)} rows/s`);
  console.log(`  backfill writes, fresh shop     ${writeMs.toFixed(0).padStart(6)} ms  ${perSecond(writeMs)} rows/s  ${(writeMs / baselineMs).toFixed(2)}x the baseline`);
  console.log(`  backfill writes, re-run         ${againMs.toFixed(0).padStart(6)} ms  ${perSecond(againMs)} rows/s  ${(againMs / baselineMs).toFixed(2)}x the baseline`);
  console.log(`  whole backfill (read + write)   ${fullMs.toFixed(0).padStart(6)} ms  ${perSecond(fullMs)} rows/s  ${(fullMs / (readMs + baselineMs)).toFixed(2)}x reading alone + baseline`);
}

const pglite = await openDatabase({ dataDir: "memory://" });
try {
  await measure(pglite, "PGlite (in memory)");
} finally {
  await pglite.close();
}

const name = `lockstep_bench_backfill_${process.pid}`;
const admin = new pg.Client({ connectionString: SERVER_URL });
let reachable = true;
await admin.connect().catch(() => (reachable = false));
if (reachable) {
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const postgres = await openDatabase({ databaseUrl: url.toString() });
  try {
    await measure(postgres, "PostgreSQL");
  } finally {
    await postgres.close();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
} else {
  console.log("\nPostgreSQL not reachable: skipped");
}
await registry.close();
await sim.close();
