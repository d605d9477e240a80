import { beforeAll, describe, expect, it, vi } from "vitest";
import { getBackfill } from "../../app/backfill/backfill.server";
import { isSealedCredential } from "../../app/shops/credentials.server";
import { openSessionToken } from "../../app/shops/sessionStorage.server";
import { processDueRows } from "../../app/webhooks/workerLoop.server";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { requireAdminBuild } from "../helpers/build";
import { SHOPIFY_HOSTS, usePlatformHosts } from "../helpers/platformHosts";
import { BROWSER_HEADERS, EMBEDDED_ENV, useTestServer } from "../helpers/server";
import { sessionToken } from "../helpers/sessionToken";

// A merchant installing from the App Store: nothing about the shop exists before the first request.
const SHOP = "first-install.myshopify.com";
const HOST = Buffer.from("admin.shopify.com/store/first-install").toString("base64url");
const PRODUCTS = 6;
const VARIANTS_PER_PRODUCT = 2;

let sim: ShopifySimulator;
beforeAll(async () => {
  requireAdminBuild();
  sim = await startShopifySimulator({
    app: { apiKey: EMBEDDED_ENV.SHOPIFY_API_KEY, apiSecret: EMBEDDED_ENV.SHOPIFY_API_SECRET, scopes: EMBEDDED_ENV.SCOPES },
    shops: [{ domain: SHOP, seed: { products: PRODUCTS, variantsPerProduct: VARIANTS_PER_PRODUCT, locations: ["Main", "Backroom"] } }],
  });
  return () => sim.close();
});
const hosts = usePlatformHosts(() => [{ host: SHOPIFY_HOSTS, to: sim.url }]);
const server = useTestServer({ env: EMBEDDED_ENV });

const db = () => server().context.db;
const token = () => sessionToken({ shop: SHOP, apiKey: EMBEDDED_ENV.SHOPIFY_API_KEY, secret: EMBEDDED_ENV.SHOPIFY_API_SECRET });

/** The first document request inside the Shopify admin: App Bridge adds the session token as `id_token`. */
function openAdmin(): Promise<Response> {
  return fetch(`${server().url}/app?embedded=1&shop=${SHOP}&host=${HOST}&id_token=${token()}`, { headers: BROWSER_HEADERS, redirect: "manual" });
}

async function shopRows() {
  return db().sql.query<{ id: string; install_state: string }>(`SELECT id, install_state::text FROM shop WHERE domain = $1`, [SHOP]);
}

async function waitForBackfillDone(shopId: string, notBefore = 0) {
  return vi.waitFor(
    async () => {
      const backfill = await getBackfill(db().sql, shopId);
      expect(backfill?.state).toBe("done");
      expect(backfill!.startedAt.getTime()).toBeGreaterThanOrEqual(notBefore);
      return backfill!;
    },
    { timeout: 30_000, interval: 50 },
  );
}

/** Shopify tells the app it was uninstalled (and stops its tokens); the worker applies it. */
async function uninstall(): Promise<void> {
  sim.uninstallApp(SHOP);
  const delivery = signShopifyDelivery({ secret: EMBEDDED_ENV.SHOPIFY_API_SECRET, shopDomain: SHOP, topic: "app/uninstalled", payload: shopifyPayload("app/uninstalled", { myshopify_domain: SHOP }) });
  const response = await fetch(`${server().url}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: delivery.body });
  expect(response.status).toBe(200);
  for (let round = 0; round < 10; round++) {
    if ((await processDueRows({ sql: db().sql, workerId: "install-test", metrics: server().context.webhooks.metrics, subscribers: server().context.webhooks.subscribers, maxAttempts: 3, leaseMs: 30_000 })) === 0) break;
  }
}

describe("a merchant's first install, against the simulated Shopify (no session seeded)", () => {
  it("exchanges the session token, stores the offline session sealed, installs the shop, reads the catalog, and renders the dashboard", async () => {
    expect(await shopRows()).toEqual([]);
    const response = await openAdmin();
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(SHOP);
    expect(html).toContain("Dashboard");

    // Token exchange happened against Shopify, and what it gave is stored sealed.
    expect(sim.oauth!.stats.exchanges).toBeGreaterThanOrEqual(1);
    const [session] = await db().sql.query<{ access_token: string; refresh_token: string | null; expires: Date | null }>(
      `SELECT access_token, refresh_token, expires FROM session WHERE id = $1`,
      [`offline_${SHOP}`],
    );
    expect(session).toBeDefined();
    expect(isSealedCredential(session!.access_token)).toBe(true);
    expect(isSealedCredential(session!.refresh_token!)).toBe(true);
    expect(session!.expires).not.toBeNull();
    const accessToken = openSessionToken(server().context.config.encryptionKey, session!.access_token);
    expect(sim.oauth!.accepts(SHOP, accessToken)).toBe(true);

    // afterAuth: one installed shop, the catalog read from Shopify through that token.
    const shops = await shopRows();
    expect(shops).toEqual([{ id: expect.any(String), install_state: "installed" }]);
    const backfill = await waitForBackfillDone(shops[0]!.id);
    expect(backfill.variants).toBe(PRODUCTS * VARIANTS_PER_PRODUCT);
    expect(backfill.locations).toBe(2);
    // The TOML declares every topic Lockstep handles, so nothing is subscribed through the API.
    expect(sim.shop(SHOP).webhookSubscriptions).toEqual([]);

    // The next page load reads the catalog it just copied.
    const again = await openAdmin();
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("SKU-0001-1");
  });

  it("a later login reuses the stored session: no second exchange, no second catalog read", async () => {
    const exchanges = sim.oauth!.stats.exchanges;
    const [shop] = await shopRows();
    const before = await getBackfill(db().sql, shop!.id);
    expect((await openAdmin()).status).toBe(200);
    expect(sim.oauth!.stats.exchanges).toBe(exchanges);
    expect((await getBackfill(db().sql, shop!.id))!.startedAt).toEqual(before!.startedAt);
  });

  it("a re-install after an uninstall repairs the same shop (new token, catalog read again) instead of adding one", async () => {
    const [shop] = await shopRows();
    await uninstall();
    expect(await shopRows()).toEqual([{ id: shop!.id, install_state: "uninstalled" }]);
    expect(await db().sql.query(`SELECT 1 FROM session WHERE shop = $1`, [SHOP])).toEqual([]);

    const reinstalledAt = Date.now();
    const response = await openAdmin();
    expect(response.status).toBe(200);
    expect(await shopRows()).toEqual([{ id: shop!.id, install_state: "installed" }]);
    await waitForBackfillDone(shop!.id, reinstalledAt);
    const [session] = await db().sql.query<{ access_token: string }>(`SELECT access_token FROM session WHERE id = $1`, [`offline_${SHOP}`]);
    expect(sim.oauth!.accepts(SHOP, openSessionToken(server().context.config.encryptionKey, session!.access_token))).toBe(true);
  });

  it("shows a retrying Polaris page, not a 500, when Shopify does not answer the token exchange", async () => {
    await uninstall();
    // Shopify's host now leads to a port nobody listens on.
    const closed = await startShopifySimulator();
    await closed.close();
    hosts.reroute([{ host: SHOPIFY_HOSTS, to: closed.url }]);
    try {
      const response = await openAdmin();
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      const html = await response.text();
      expect(html).toContain("Shopify did not answer; retrying");
      expect(html).toContain("Retry now");
      expect(html).not.toContain("Handling response");
    } finally {
      hosts.reroute([{ host: SHOPIFY_HOSTS, to: sim.url }]);
    }
    // Shopify answers again: the retry installs.
    expect((await openAdmin()).status).toBe(200);
    expect((await shopRows())[0]!.install_state).toBe("installed");
  });
});
