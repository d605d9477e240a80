import { describe, expect, it, vi } from "vitest";
import { createPriceActivator, type PushStorePrices } from "../../app/prices/activator.server";
import { claimActivations } from "../../app/prices/sql/claimActivations";
import { startActivationPushes } from "../../app/prices/sql/startActivationPushes";
import { shopifyPricePush } from "../../app/prices/storePush.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { useTestDatabase } from "../helpers/database";
import { until } from "../helpers/expectations";
import { useShopifySimulator } from "../helpers/simulators";
import { plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const { sim, registry } = useShopifySimulator();
const staff = { source: "staff" as const, createdBy: "staff:test" };

/** A shop in the database and the same catalog in the simulated store (product p, variant n: the fixture's ids). */
async function storeAndShop(products = 2, variantsPerProduct = 3) {
  const shop = await seedPriceShop(db(), { products, variantsPerProduct });
  const store = sim().addShop({ domain: shop.domain, accessToken: "shpat_test", bucket: { maximumAvailable: 1_000, restoreRate: 500 }, seed: { products: 0 } });
  for (let p = 1; p <= products; p++) {
    store.addProduct(
      `Product ${p}`,
      Array.from({ length: variantsPerProduct }, (_, i) => {
        const n = (p - 1) * variantsPerProduct + i + 1;
        return { id: n, sku: `SKU-${n}`, price: "10.00" };
      }),
      p,
    );
  }
  const client = createShopifyAdminClient({ shop: shop.domain, accessToken: "shpat_test", registry: registry({ refillIntervalMs: 25 }), endpoint: sim().endpointFor(shop.domain) });
  const pushes: Array<{ variant: string; amount: string; at: number }> = [];
  const shopify = shopifyPricePush(async () => client);
  const push: PushStorePrices = async (shopId, _platform, prices) => {
    // Rows of earlier tests' shops may fall due meanwhile (a refused push's retry): not this store's.
    if (shopId !== shop.shopId) throw new Error("another test's shop");
    const at = Date.now();
    await shopify(shopId, prices);
    pushes.push(...prices.map((price) => ({ variant: price.variantExternalId, amount: price.amount, at })));
  };
  return { shop, store, push, pushes };
}

async function activations(shopId: string) {
  return db().sql.query<{ state: string; attempts: number; leaseExpiries: number; lagMs: number | null; outcome: string | null; validFrom: Date; appliedAt: Date | null }>(
    `SELECT a.state, a.attempts, a.lease_expiries AS "leaseExpiries", a.lag_ms AS "lagMs", a.outcome, pv.valid_from AS "validFrom", a.applied_at AS "appliedAt"
     FROM price_activation a JOIN price_version pv ON pv.id = a.version_id WHERE a.shop_id = $1 ORDER BY a.id`,
    [shopId],
  );
}

async function plan(shopId: string, variants: Map<string, string>, amount: string, validFrom: Date) {
  return schedulePrices(db().sql, shopId, [...variants.values()].map((variantId) => ({ variantId, amount, currency: "USD", validFrom })), staff);
}

describe("price activation", () => {
  it("two workers racing: every version pushed to the store once, at or after its validFrom, with its lag, captured for the destinations", async () => {
    const { shop, store, push, pushes } = await storeAndShop();
    const boundary = plus(new Date(), 1_500);
    await plan(shop.shopId, shop.variants, "9.50", boundary);
    const workers = ["worker-a", "worker-b"].map((workerId) => createPriceActivator({ sql: db().sql, workerId, push, pollMs: 50, batchSize: 2 }).start());
    try {
      await vi.waitFor(async () => expect((await activations(shop.shopId)).every((row) => row.state === "done")).toBe(true), { timeout: 20_000, interval: 50 });
    } finally {
      await Promise.all(workers.map((stop) => stop()));
    }
    const rows = await activations(shop.shopId);
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      expect(row).toMatchObject({ state: "done", attempts: 1, leaseExpiries: 0, outcome: "shopify" });
      expect(row.lagMs).toBeGreaterThanOrEqual(0);
      expect(row.appliedAt!.getTime()).toBeGreaterThanOrEqual(boundary.getTime());
    }
    expect(pushes.map((p) => p.variant).sort()).toEqual([...Array(6).keys()].map((i) => `gid://shopify/ProductVariant/${i + 1}`).sort());
    expect(pushes.every((p) => p.at >= boundary.getTime())).toBe(true);
    expect([...store.variants.values()].map((variant) => variant.price)).toEqual(Array(6).fill("9.50"));
    expect(sim().stats(shop.domain).throttled).toBe(0);
    const captured = await db().sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM change_record WHERE shop_id = $1 AND kind = 'price' AND source = 'price_activation'`, [shop.shopId]);
    expect(captured[0]!.n).toBe(6);
    const catalog = await db().sql.query<{ price: string }>(`SELECT price::text FROM variant WHERE shop_id = $1`, [shop.shopId]);
    expect(catalog.every((row) => row.price === "9.5000")).toBe(true);
  });

  it("a worker that dies holding the boundary's rows: another takes them once its lease runs out, and the dead one records nothing", async () => {
    const { shop, store, push, pushes } = await storeAndShop(1, 2);
    const boundary = plus(new Date(), 300);
    await plan(shop.shopId, shop.variants, "7.25", boundary);
    // Worker A claims at the boundary and hangs in the push (a process killed mid-call).
    let releaseA: () => void = () => undefined;
    const claimedByA = new Promise<void>((claimed) => {
      const hanging: PushStorePrices = () => {
        claimed();
        return new Promise<void>((resolve) => (releaseA = resolve));
      };
      const a = createPriceActivator({ sql: db().sql, workerId: "worker-a", push: hanging, leaseMs: 400, pollMs: 50 });
      void vi.waitFor(async () => expect(await a.runOnce()).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    });
    await claimedByA;
    // The restarted process (worker B) finds the rows leased, then takes them when the lease ends.
    const b = createPriceActivator({ sql: db().sql, workerId: "worker-b", push, leaseMs: 400, pollMs: 50 }).start();
    try {
      await vi.waitFor(async () => expect((await activations(shop.shopId)).every((row) => row.state === "done")).toBe(true), { timeout: 20_000, interval: 50 });
    } finally {
      await b();
    }
    const before = await activations(shop.shopId);
    releaseA();
    // A's late completion finds the rows no longer its own: still exactly one record each.
    await vi.waitFor(async () => expect(await activations(shop.shopId)).toEqual(before));
    expect(before).toMatchObject([
      { state: "done", attempts: 2, leaseExpiries: 1 },
      { state: "done", attempts: 2, leaseExpiries: 1 },
    ]);
    expect(pushes).toHaveLength(2);
    expect([...store.variants.values()].map((variant) => variant.price)).toEqual(["7.25", "7.25"]);
  });

  it("a worker whose lease ran out before its push pushes nothing: the worker that reclaimed the rows pushes them, once", async () => {
    const { shop, push, pushes } = await storeAndShop(1, 2);
    await plan(shop.shopId, shop.variants, "8.00", plus(new Date(), -1));
    // Worker A claims (prepares) the rows, then stalls past its lease.
    const claimed = await claimActivations(db().sql, "stalled", 10, 60_000);
    expect(claimed).toHaveLength(2);
    const ids = claimed.map((row) => row.id);
    // While its lease runs, A may push: the guard renews the lease and counts the push.
    expect(await startActivationPushes(db().sql, "stalled", ids.slice(0, 1), 60_000)).toEqual(new Set(ids.slice(0, 1)));
    await db().sql.query(`UPDATE price_activation SET locked_until = now() - interval '1 second' WHERE id = ANY($1::bigint[])`, [ids]);
    // Its lease over, A may push nothing, even rows nobody has reclaimed yet.
    expect(await startActivationPushes(db().sql, "stalled", ids, 60_000)).toEqual(new Set());
    const b = createPriceActivator({ sql: db().sql, workerId: "b", push });
    await until(async () => (await b.runOnce()) === 0, { what: "B to reclaim and push" });
    expect(await startActivationPushes(db().sql, "stalled", ids, 60_000)).toEqual(new Set());
    expect(pushes).toHaveLength(2);
    const rows = await db().sql.query<{ state: string; pushes: number; attempts: number; leaseExpiries: number }>(
      `SELECT state, pushes, attempts, lease_expiries AS "leaseExpiries" FROM price_activation WHERE shop_id = $1 ORDER BY id`,
      [shop.shopId],
    );
    // The first row's earlier push (A, in doubt) is counted: the store may have had it twice, the activation is recorded once.
    expect(rows).toEqual([
      { state: "done", pushes: 2, attempts: 2, leaseExpiries: 1 },
      { state: "done", pushes: 1, attempts: 2, leaseExpiries: 1 },
    ]);
  });

  it("a restart straddling the boundary: the worker stopped before it hands back what it prepared, the new one activates once after it", async () => {
    const { shop, push, pushes } = await storeAndShop(1, 2);
    const boundary = plus(new Date(), 3_000);
    await plan(shop.shopId, shop.variants, "6.00", boundary);
    const before = createPriceActivator({ sql: db().sql, workerId: "before", push, pollMs: 50 }).start();
    // It may already hold the boundary's rows (prepared ahead): stopping hands them back, unpushed and uncounted.
    await before();
    expect(await activations(shop.shopId)).toMatchObject([{ state: "pending", attempts: 0 }, { state: "pending", attempts: 0 }]);
    expect(pushes).toHaveLength(0);
    const after = createPriceActivator({ sql: db().sql, workerId: "after", push, pollMs: 50 }).start();
    try {
      await vi.waitFor(async () => expect((await activations(shop.shopId)).every((row) => row.state === "done")).toBe(true), { timeout: 20_000, interval: 50 });
    } finally {
      await after();
    }
    expect(await activations(shop.shopId)).toMatchObject([{ attempts: 1 }, { attempts: 1 }]);
    expect(pushes).toHaveLength(2);
  });

  it("a store that refuses: retried later, nothing recorded as applied, the catalog unchanged", async () => {
    const { shop } = await storeAndShop(1, 1);
    await plan(shop.shopId, shop.variants, "5.00", plus(new Date(), -1));
    const failing: PushStorePrices = () => Promise.reject(new Error("store down"));
    const activator = createPriceActivator({ sql: db().sql, workerId: "w", push: failing });
    expect(await activator.runOnce()).toBe(1);
    const [row] = await db().sql.query<{ state: string; lastError: string; runAt: Date }>(`SELECT state, last_error AS "lastError", run_at AS "runAt" FROM price_activation WHERE shop_id = $1`, [shop.shopId]);
    expect(row).toMatchObject({ state: "pending", lastError: "store down" });
    expect(row!.runAt.getTime()).toBeGreaterThan(Date.now());
    const catalog = await db().sql.query<{ price: string }>(`SELECT price::text FROM variant WHERE shop_id = $1`, [shop.shopId]);
    expect(catalog[0]!.price).toBe("10.0000");
  });

  it("a version replaced before its turn is skipped: the version that holds now activates instead", async () => {
    const { shop, push, pushes } = await storeAndShop(1, 1);
    await plan(shop.shopId, shop.variants, "4.00", plus(new Date(), -2_000));
    await plan(shop.shopId, shop.variants, "3.00", plus(new Date(), -1_000));
    const activator = createPriceActivator({ sql: db().sql, workerId: "w", push });
    while ((await activator.runOnce()) > 0);
    expect((await activations(shop.shopId)).map((row) => [row.state, row.outcome])).toEqual([
      ["skipped", "not_current"],
      ["done", "shopify"],
    ]);
    expect(pushes.map((p) => p.amount)).toEqual(["3.00"]);
  });
});
