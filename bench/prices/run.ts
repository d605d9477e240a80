/**
 * bench/prices: N items (default 100,000; 1,000 products of 100 variants) whose sale starts at one
 * boundary, on PostgreSQL (DATABASE_URL or 127.0.0.1:5432; a fresh database, dropped after).
 *
 *   npm run bench:prices                 # 100,000 items
 *   npm run bench:prices -- 5000         # another size
 *
 * Measures, from the boundary: (1) the lookup — the first read of every item's price at the boundary
 * instant (computed from the versions: current at the boundary by construction; the figure is how
 * long reading all of them takes); (2) the store — two activators (as two worker processes) push
 * every price to the simulated Shopify store with productVariantsBulkUpdate through the shop's
 * throttled client, until every activation is recorded done. Ratios, not absolute times: the
 * share of the store's restore rate used while pushing (points spent ÷ restore rate × seconds) and
 * the count of THROTTLED answers (target 0), plus activation lag percentiles.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { openDatabase } from "../../app/db/database.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { createPriceActivator } from "../../app/prices/activator.server";
import { createSale } from "../../app/prices/sales.server";
import { lockPriceLists } from "../../app/prices/sql/lockPriceItems";
import { priceAt } from "../../app/prices/sql/priceAt";
import { shopifyPricePush } from "../../app/prices/storePush.server";
import { startShopifySimulator } from "../../simulators/shopify/server";
import { adminQuery, withDatabase } from "../../test/helpers/database";

const ITEMS = Number(process.argv[2] ?? 100_000);
const PER_PRODUCT = 100;
const SERVER = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const BUCKET = { maximumAvailable: 2_000, restoreRate: 1_000 };

async function main(): Promise<void> {
  const name = `lockstep_bench_prices_${randomBytes(4).toString("hex")}`;
  await adminQuery(SERVER, `CREATE DATABASE "${name}"`);
  const db = await openDatabase({ databaseUrl: withDatabase(SERVER, name), poolSize: 20 });
  const sim = await startShopifySimulator();
  const registry = createLimiterRegistry();
  try {
    await applyMigrations(db.sql);
    const products = Math.ceil(ITEMS / PER_PRODUCT);
    const [shop] = await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', 'bench-prices.myshopify.com') RETURNING id`);
    const shopId = shop!.id;
    await db.sql.query(`INSERT INTO product (id, shop_id, external_id, title) SELECT gen_random_uuid(), $1, 'gid://shopify/Product/' || p, 'P' || p FROM generate_series(1, $2::int) p`, [shopId, products]);
    await db.sql.query(
      `INSERT INTO variant (id, shop_id, product_id, external_id, sku, price)
       SELECT gen_random_uuid(), $1, pr.id, 'gid://shopify/ProductVariant/' || n, 'SKU-' || n, 20
       FROM generate_series(1, $2::int) n JOIN product pr ON pr.shop_id = $1 AND pr.external_id = 'gid://shopify/Product/' || ((n - 1) / ${PER_PRODUCT} + 1)`,
      [shopId, ITEMS],
    );
    // Base prices as history (no activation: they are what the store has).
    // (A bulk writer locks the list, not each item: the lock table would not hold 100,000 locks.)
    await db.sql.transaction(async (tx) => {
      await lockPriceLists(tx, shopId, ["default"]);
      for (let from = 1; from <= ITEMS; from += 1_000) {
        await tx.query(
          `INSERT INTO price_version (shop_id, variant_id, amount, currency, valid_from, source, created_by)
           SELECT v.shop_id, v.id, 20, 'USD', now() - interval '1 day', 'seed', 'bench' FROM generate_series($2::int, $3::int) n JOIN variant v ON v.shop_id = $1 AND v.sku = 'SKU-' || n`,
          [shopId, from, Math.min(ITEMS, from + 999)],
        );
      }
    });
    const store = sim.addShop({ domain: "bench-prices.myshopify.com", accessToken: "shpat_bench", bucket: BUCKET, seed: { products: 0 } });
    for (let p = 1; p <= products; p++) {
      const count = Math.min(PER_PRODUCT, ITEMS - (p - 1) * PER_PRODUCT);
      store.addProduct(`P${p}`, Array.from({ length: count }, (_, i) => ({ id: (p - 1) * PER_PRODUCT + i + 1, sku: `SKU-${(p - 1) * PER_PRODUCT + i + 1}`, price: "20.00" })), p);
    }
    const skus = Array.from({ length: ITEMS }, (_, i) => `SKU-${i + 1}`);
    const planStarted = Date.now();
    // Lead time for writing the plan: LEAD_MS, else ~2 ms an item (a loaded 2-core machine), at least 20 s.
    const boundary = new Date(Date.now() + Number(process.env.LEAD_MS ?? Math.max(20_000, ITEMS * 2)));
    await createSale(db.sql, shopId, { name: "bench", skus, kind: "percent", value: "10", startsAt: boundary, endsAt: new Date(boundary.getTime() + 86_400_000), createdBy: "bench" });
    const planMs = Date.now() - planStarted;
    if (Date.now() >= boundary.getTime()) console.warn("planning took longer than the lead time: the boundary passed before the activators started");
    const client = createShopifyAdminClient({ shop: "bench-prices.myshopify.com", accessToken: "shpat_bench", registry, endpoint: sim.endpointFor("bench-prices.myshopify.com") });
    const push = shopifyPricePush(async () => client);
    // Two activators as two worker processes would run them: batches of 1,000 prepared up to 2 s ahead, two in flight each.
    const workers = ["a", "b"].map((id) => createPriceActivator({ sql: db.sql, workerId: `bench-${id}`, push: (s, _p, prices) => push(s, prices), pollMs: 100, leaseMs: 120_000 }).start());
    console.log(`planned ${ITEMS} sale prices in ${planMs} ms; waiting for the boundary ${boundary.toISOString()}`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, boundary.getTime() - Date.now())));
    const statsBefore = { ...sim.stats("bench-prices.myshopify.com") };
    const loadAtBoundary = loadavg()[0]!;
    const lookupStarted = Date.now();
    let current = 0;
    for (let i = 0; i < skus.length; i += 1_000) {
      const rows = await priceAt(db.sql, shopId, "default", skus.slice(i, i + 1_000), boundary);
      current += rows.filter((row) => row.amount === "18.0000").length;
    }
    const lookupMs = Date.now() - lookupStarted;
    for (;;) {
      const [row] = await db.sql.query<{ pending: number }>(`SELECT count(*)::int AS pending FROM price_activation a JOIN price_version pv ON pv.id = a.version_id WHERE pv.source = 'sale' AND a.state <> 'done'`);
      if (row!.pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const pushedMs = Date.now() - boundary.getTime();
    await Promise.all(workers.map((stop) => stop()));
    const stats = sim.stats("bench-prices.myshopify.com");
    const spent = stats.costSpent - statsBefore.costSpent;
    const [lag] = await db.sql.query<{ min: number; p50: number; p99: number; max: number }>(
      `SELECT min(lag_ms) AS min, percentile_disc(0.5) WITHIN GROUP (ORDER BY lag_ms) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY lag_ms) AS p99, max(lag_ms) AS max
       FROM price_activation a JOIN price_version pv ON pv.id = a.version_id WHERE pv.source = 'sale'`,
    );
    const storePrices = [...store.variants.values()].filter((variant) => variant.price === "18.00").length;
    const utilisation = spent / (BUCKET.restoreRate * (pushedMs / 1000));
    console.log(JSON.stringify({ items: ITEMS, planMs, loadAverage: { atBoundary: loadAtBoundary, atEnd: loadavg()[0] }, currentInLookupAtBoundary: current, lookupReadAllMs: lookupMs, storeUpdated: storePrices, boundaryToAllPushedMs: pushedMs, requests: stats.requests, throttled: stats.throttled, pointsSpent: spent, restoreRateUsed: Number(utilisation.toFixed(3)), lagMs: lag }, null, 2));
  } finally {
    await registry.close();
    await sim.close();
    await db.close();
    await adminQuery(SERVER, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
