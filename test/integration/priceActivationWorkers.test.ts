import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSale } from "../../app/prices/sales.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { sealSessionToken } from "../../app/shops/sessionStorage.server";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { seedPriceShop, type PriceShop } from "../prices/priceFixture";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { until } from "../helpers/expectations";
import { startProcess, type Started } from "../helpers/process";
import { STANDALONE_ENV } from "../helpers/server";

// Two real worker processes (`server/worker.ts`) on one PostgreSQL database, pushing a sale's prices
// to the simulated Shopify store through a proxy that counts every variant each push carried.
const ENCRYPTION_KEY = "a-test-encryption-key-of-32-characters";
const TOKEN = "shpat_workers";
const PRODUCTS = 2;
const PER_PRODUCT = 30;
let db: TestDatabase;
let sim: ShopifySimulator;
let proxy: http.Server;
let shop: PriceShop;
const pushedTimes = new Map<string, number>();
const workers: Started[] = [];

function workerEnv(proxyUrl: string) {
  return { ...STANDALONE_ENV, DATABASE_URL: db.url!, LOCKSTEP_ENCRYPTION_KEY: ENCRYPTION_KEY, SHOPIFY_ADMIN_API_BASE_URL: proxyUrl, LOCKSTEP_DEMO_TRAFFIC: "off" };
}

async function startWorker(proxyUrl: string): Promise<Started> {
  const worker = startProcess("server/worker.ts", [], workerEnv(proxyUrl));
  workers.push(worker);
  await worker.waitFor(/webhook worker loop/, 120_000);
  return worker;
}

async function saleActivations() {
  return db.sql.query<{ state: string; attempts: number; lockedBy: string | null; lagMs: number | null }>(
    `SELECT a.state, a.attempts, a.locked_by AS "lockedBy", a.lag_ms AS "lagMs"
     FROM price_activation a JOIN price_version pv ON pv.id = a.version_id WHERE pv.shop_id = $1 AND pv.source = 'sale' ORDER BY a.id`,
    [shop.shopId],
  );
}

beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  shop = await seedPriceShop(db, { products: PRODUCTS, variantsPerProduct: PER_PRODUCT });
  await db.sql.query(`UPDATE shop SET install_state = 'installed', installed_at = now() WHERE id = $1`, [shop.shopId]);
  await db.sql.query(`INSERT INTO session (id, shop, state, is_online, access_token) VALUES ($1, $2, '', false, $3)`, [`offline_${shop.domain}`, shop.domain, sealSessionToken(ENCRYPTION_KEY, TOKEN)]);
  await schedulePrices(db.sql, shop.shopId, [...shop.variants.values()].map((variantId) => ({ variantId, amount: "10.00", currency: "USD", validFrom: new Date("2026-01-01T00:00:00Z") })), { source: "seed", createdBy: "test" });
  // The base prices are what the store has already: only the sale is to be pushed.
  await db.sql.query(`UPDATE price_activation SET state = 'done', outcome = 'seeded' WHERE shop_id = $1`, [shop.shopId]);
  sim = await startShopifySimulator();
  const store = sim.addShop({ domain: shop.domain, accessToken: TOKEN, bucket: { maximumAvailable: 1_000, restoreRate: 500 }, seed: { products: 0 } });
  for (let p = 1; p <= PRODUCTS; p++) {
    store.addProduct(`Product ${p}`, Array.from({ length: PER_PRODUCT }, (_, i) => ({ id: (p - 1) * PER_PRODUCT + i + 1, sku: `SKU-${(p - 1) * PER_PRODUCT + i + 1}`, price: "10.00" })), p);
  }
  // Counts the variants of every productVariantsBulkUpdate the workers send, then forwards it.
  proxy = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      void (async () => {
        const answer = await fetch(`${sim.url}${request.url}`, { method: request.method, headers: { "content-type": "application/json", "x-shopify-access-token": String(request.headers["x-shopify-access-token"] ?? "") }, body: body.length > 0 ? body : undefined });
        const text = await answer.text();
        const sent = JSON.parse(body.toString() || "{}") as { query?: string; variables?: { variants?: Array<{ id: string }> } };
        if (sent.query?.includes("productVariantsBulkUpdate") && answer.ok && !text.includes("THROTTLED")) {
          for (const variant of sent.variables?.variants ?? []) pushedTimes.set(variant.id, (pushedTimes.get(variant.id) ?? 0) + 1);
        }
        response.writeHead(answer.status, { "content-type": "application/json" }).end(text);
      })();
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
}, 240_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop("SIGTERM")));
  await new Promise((resolve) => proxy?.close(resolve));
  await sim?.close();
  await db?.close();
}, 60_000);

describe("price activation in two worker processes", { timeout: 300_000 }, () => {
  it("a sale starting at one boundary is pushed once per item, with a worker restarted across the boundary", async () => {
    const address = proxy.address() as { port: number };
    const proxyUrl = `http://127.0.0.1:${address.port}`;
    const started = [await startWorker(proxyUrl), await startWorker(proxyUrl)];
    // Far enough ahead for both processes to be waiting for it; they prepare its rows 2 s before it.
    const boundary = new Date(Date.now() + 8_000);
    await createSale(db.sql, shop.shopId, { name: "Workers", skus: [...shop.variants.keys()], kind: "amount", value: "7.00", startsAt: boundary, endsAt: new Date(boundary.getTime() + 86_400_000), createdBy: "test" });
    // The restart: once a process holds prepared rows of the boundary, it is stopped (SIGTERM) and hands
    // them back; a new process starts after the boundary passed.
    let holder: Started | undefined;
    await until(
      async () => {
        const pids = new Set((await saleActivations()).map((row) => row.lockedBy?.split(":")[1]).filter(Boolean));
        holder = started.find((worker) => pids.has(String(worker.child.pid)));
        return holder !== undefined;
      },
      { timeout: 60_000, interval: 20, what: "a worker to prepare the boundary's rows" },
    );
    expect(Date.now()).toBeLessThan(boundary.getTime());
    expect(await holder!.stop("SIGTERM")).toBe(0);
    await until(() => Date.now() > boundary.getTime(), { timeout: 60_000, interval: 50, what: "the boundary" });
    const restarted = await startWorker(proxyUrl);
    await until(async () => (await saleActivations()).every((row) => row.state === "done"), { timeout: 120_000, interval: 100, what: "every activation done" });
    expect(pushedTimes.size).toBe(PRODUCTS * PER_PRODUCT);
    expect([...pushedTimes.values()].every((times) => times === 1)).toBe(true);
    const rows = await saleActivations();
    expect(rows.every((row) => row.attempts === 1 && row.lagMs !== null)).toBe(true);
    expect([...sim.shop(shop.domain).variants.values()].every((variant) => variant.price === "7.00")).toBe(true);
    const survivor = started.find((worker) => worker !== holder)!;
    expect(await survivor.stop("SIGTERM")).toBe(0);
    expect(await restarted.stop("SIGTERM")).toBe(0);
  });
});
