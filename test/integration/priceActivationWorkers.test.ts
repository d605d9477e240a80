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

// Real worker processes (`server/worker.ts`) on one PostgreSQL database, pushing sales' prices to the
// simulated Shopify store through a proxy that counts every variant each push carried. Each test
// puts its own product on sale; the later ones run with a short lease (LOCKSTEP_PRICE_LEASE_MS).
const ENCRYPTION_KEY = "a-test-encryption-key-of-32-characters";
const TOKEN = "shpat_workers";
const PRODUCTS = 4;
const PER_PRODUCT = 30;
// Rows are then prepared 2 s ahead (a quarter of the lease, at most 2 s): room to kill or stop their holder before the boundary.
const LEASE_MS = 8_000;
let db: TestDatabase;
let sim: ShopifySimulator;
let proxy: http.Server;
let shop: PriceShop;
const pushedTimes = new Map<string, number>();
const workers: Started[] = [];

function workerEnv(proxyUrl: string, leaseMs?: number) {
  return { ...STANDALONE_ENV, DATABASE_URL: db.url!, LOCKSTEP_ENCRYPTION_KEY: ENCRYPTION_KEY, SHOPIFY_ADMIN_API_BASE_URL: proxyUrl, LOCKSTEP_DEMO_TRAFFIC: "off", LOCKSTEP_PRICE_LEASE_MS: leaseMs?.toString() };
}

async function startWorker(proxyUrl: string, leaseMs?: number): Promise<Started> {
  const worker = startProcess("server/worker.ts", [], workerEnv(proxyUrl, leaseMs));
  workers.push(worker);
  await worker.waitFor(/webhook worker loop/, 120_000);
  return worker;
}

/** The SKUs of product p (1-based) and their simulated store variant ids. */
function productItems(p: number) {
  const numbers = Array.from({ length: PER_PRODUCT }, (_, i) => (p - 1) * PER_PRODUCT + i + 1);
  return { numbers, skus: numbers.map((n) => `SKU-${n}`), variants: numbers.map((n) => `gid://shopify/ProductVariant/${n}`) };
}

async function saleActivations(saleId: string) {
  return db.sql.query<{ id: string; state: string; attempts: number; leaseExpiries: number; pushes: number; lockedBy: string | null; lagMs: number | null }>(
    `SELECT a.id::text AS id, a.state, a.attempts, a.lease_expiries AS "leaseExpiries", a.pushes, a.locked_by AS "lockedBy", a.lag_ms AS "lagMs"
     FROM price_activation a JOIN price_version pv ON pv.id = a.version_id WHERE pv.shop_id = $1 AND pv.sale_id = $2 AND pv.source = 'sale' ORDER BY a.id`,
    [shop.shopId, saleId],
  );
}

/** A sale of product p's items at `amount` from `boundary` (far enough ahead for the workers to be waiting for it). */
async function saleOf(p: number, amount: string, boundary: Date): Promise<string> {
  const sale = await createSale(db.sql, shop.shopId, { name: `Workers ${p}`, skus: productItems(p).skus, kind: "amount", value: amount, startsAt: boundary, endsAt: new Date(boundary.getTime() + 86_400_000), createdBy: "test" });
  return sale.saleId;
}

/** The worker (of these) that holds rows of the sale, once one does. */
async function holderOf(saleId: string, candidates: Started[]): Promise<Started> {
  let holder: Started | undefined;
  await until(
    async () => {
      const pids = new Set((await saleActivations(saleId)).map((row) => row.lockedBy?.split(":")[1]).filter(Boolean));
      holder = candidates.find((worker) => pids.has(String(worker.child.pid)));
      return holder !== undefined;
    },
    { timeout: 60_000, interval: 20, what: "a worker to prepare the boundary's rows" },
  );
  return holder!;
}

function proxyUrlOf(): string {
  return `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
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
  // A worker a failed test left stopped (SIGSTOP) must run again to hear SIGTERM.
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGCONT");
  await Promise.all(workers.map((worker) => worker.stop("SIGTERM")));
  await new Promise((resolve) => proxy?.close(resolve));
  await sim?.close();
  await db?.close();
}, 60_000);

describe("price activation in two worker processes", { timeout: 300_000 }, () => {
  it("a sale starting at one boundary is pushed once per item, with a worker restarted across the boundary", async () => {
    const proxyUrl = proxyUrlOf();
    const started = [await startWorker(proxyUrl), await startWorker(proxyUrl)];
    // Far enough ahead for both processes to be waiting for it; they prepare its rows 2 s before it.
    const boundary = new Date(Date.now() + 8_000);
    const saleId = await saleOf(1, "7.00", boundary);
    // The restart: once a process holds prepared rows of the boundary, it is stopped (SIGTERM) and hands
    // them back; a new process starts after the boundary passed.
    const holder = await holderOf(saleId, started);
    expect(Date.now()).toBeLessThan(boundary.getTime());
    expect(await holder.stop("SIGTERM")).toBe(0);
    await until(() => Date.now() > boundary.getTime(), { timeout: 60_000, interval: 50, what: "the boundary" });
    const restarted = await startWorker(proxyUrl);
    await until(async () => (await saleActivations(saleId)).every((row) => row.state === "done"), { timeout: 120_000, interval: 100, what: "every activation done" });
    const { numbers, variants } = productItems(1);
    expect(variants.map((variant) => pushedTimes.get(variant))).toEqual(variants.map(() => 1));
    const rows = await saleActivations(saleId);
    expect(rows.every((row) => row.attempts === 1 && row.pushes === 1 && row.lagMs !== null)).toBe(true);
    expect(numbers.map((n) => sim.shop(shop.domain).variants.get(n)?.price)).toEqual(numbers.map(() => "7.00"));
    const survivor = started.find((worker) => worker !== holder)!;
    expect(await survivor.stop("SIGTERM")).toBe(0);
    expect(await restarted.stop("SIGTERM")).toBe(0);
  });

  it("a worker SIGKILLed holding the boundary's prepared rows: another reclaims them after the lease and pushes each exactly once", async () => {
    const proxyUrl = proxyUrlOf();
    const started = [await startWorker(proxyUrl, LEASE_MS), await startWorker(proxyUrl, LEASE_MS)];
    const boundary = new Date(Date.now() + 8_000);
    const saleId = await saleOf(2, "6.00", boundary);
    const holder = await holderOf(saleId, started);
    // Killed outright while waiting for the boundary: nothing handed back, its lease still running.
    expect(Date.now()).toBeLessThan(boundary.getTime());
    holder.child.kill("SIGKILL");
    await holder.exited;
    // Both processes may have claimed part of the rows (two SKIP LOCKED claims racing): the killed one's are what matters.
    const held = (await saleActivations(saleId)).filter((row) => row.lockedBy?.split(":")[1] === String(holder.child.pid));
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((row) => row.state === "processing" && row.pushes === 0)).toBe(true);
    const heldIds = new Set(held.map((row) => row.id));
    await until(async () => (await saleActivations(saleId)).every((row) => row.state === "done"), { timeout: 120_000, interval: 100, what: "every activation done by the survivor" });
    const { numbers, variants } = productItems(2);
    expect(variants.map((variant) => pushedTimes.get(variant))).toEqual(variants.map(() => 1));
    const rows = await saleActivations(saleId);
    // The killed worker's rows: claimed again once its lease ran out, pushed once; the others' as usual.
    expect(rows.map(({ state, attempts, leaseExpiries, pushes }) => ({ state, attempts, leaseExpiries, pushes }))).toEqual(
      rows.map((row) => (heldIds.has(row.id) ? { state: "done", attempts: 2, leaseExpiries: 1, pushes: 1 } : { state: "done", attempts: 1, leaseExpiries: 0, pushes: 1 })),
    );
    expect(rows.every((row) => row.lagMs !== null)).toBe(true);
    expect(numbers.map((n) => sim.shop(shop.domain).variants.get(n)?.price)).toEqual(numbers.map(() => "6.00"));
    const survivor = started.find((worker) => worker !== holder)!;
    expect(await survivor.stop("SIGTERM")).toBe(0);
  });

  it("a worker stalled (SIGSTOP) past its lease with prepared rows pushes nothing when it resumes: the rows are pushed once, by the other", async () => {
    const proxyUrl = proxyUrlOf();
    const started = [await startWorker(proxyUrl, LEASE_MS), await startWorker(proxyUrl, LEASE_MS)];
    const boundary = new Date(Date.now() + 8_000);
    const saleId = await saleOf(3, "5.00", boundary);
    const holder = await holderOf(saleId, started);
    expect(Date.now()).toBeLessThan(boundary.getTime());
    holder.child.kill("SIGSTOP");
    await until(async () => (await saleActivations(saleId)).every((row) => row.state === "done"), { timeout: 120_000, interval: 100, what: "every activation done by the other worker" });
    const { variants } = productItems(3);
    expect(variants.map((variant) => pushedTimes.get(variant))).toEqual(variants.map(() => 1));
    // Resumed, its boundary long passed, it goes to push what it prepared: the guard finds the rows another's.
    holder.child.kill("SIGCONT");
    const pushedAgain = () => variants.some((variant) => (pushedTimes.get(variant) ?? 0) > 1);
    await until(() => /lease ran out before the push/.test(holder.output()) || pushedAgain(), { timeout: 60_000, interval: 50, what: "the resumed worker to reach its push" });
    expect(variants.map((variant) => pushedTimes.get(variant))).toEqual(variants.map(() => 1));
    expect(holder.output()).toMatch(/lease ran out before the push/);
    expect((await saleActivations(saleId)).every((row) => row.state === "done" && row.pushes === 1)).toBe(true);
    await Promise.all(started.map((worker) => worker.stop("SIGTERM")));
  });
});
