import { describe, expect, it } from "vitest";
import { claimDueDestination } from "../../app/batching/sql/claimDueDestination";
import { authenticateApiToken, installShop, issueApiToken } from "../../app/shops/shops.server";
import { processDueRows } from "../../app/webhooks/workerLoop.server";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";

// Every time here is injected: the platform's timestamps on the deliveries and the worker's clock.
const HOUR = 3_600_000;
const T0 = Date.parse("2026-12-01T09:00:00Z");
const at = (hours: number) => new Date(T0 + hours * HOUR);

const server = useTestServer({ build: false });
const db = () => server().context.db;

async function deliver(shop: string, topic: string, triggeredAt: Date): Promise<number> {
  const delivery = signShopifyDelivery({ secret: STANDALONE_ENV.SHOPIFY_API_SECRET, shopDomain: shop, topic, payload: shopifyPayload(topic, { myshopify_domain: shop, shop_domain: shop }), triggeredAt });
  return (await fetch(`${server().url}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: delivery.body })).status;
}

async function applyDeliveries(now: Date): Promise<void> {
  for (let round = 0; round < 10; round++) {
    if ((await processDueRows({ sql: db().sql, workerId: "uninstall-test", metrics: server().context.webhooks.metrics, subscribers: server().context.webhooks.subscribers, maxAttempts: 3, leaseMs: 30_000, now: () => now })) === 0) return;
  }
}

/** A shop that has been set up: a policy, an API token, a connected destination, its catalog read. */
async function setUpShop(domain: string, installedAt: Date) {
  const shop = await installShop(db().prisma, { platform: "shopify", domain }, installedAt);
  const token = await issueApiToken(db().prisma, shop.id);
  await db().sql.query(`INSERT INTO inventory_policy (shop_id, default_safety_stock) VALUES ($1, 4)`, [shop.id]);
  await db().sql.query(
    `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives) VALUES (gen_random_uuid(), $1, 'ERP', 'erp_http', 'https://erp.example.com', 'x', '{stock}')`,
    [shop.id],
  );
  await db().sql.query(`INSERT INTO catalog_backfill (shop_id, state, finished_at) VALUES ($1, 'done', now())`, [shop.id]);
  return { shop, token };
}

async function settingsOf(shopId: string) {
  const [row] = await db().sql.query<{ policy: number; destinations: number; backfills: number; token: boolean }>(
    `SELECT (SELECT count(*)::int FROM inventory_policy WHERE shop_id = $1) AS policy,
            (SELECT count(*)::int FROM destination WHERE shop_id = $1) AS destinations,
            (SELECT count(*)::int FROM catalog_backfill WHERE shop_id = $1) AS backfills,
            (SELECT api_token_hash IS NOT NULL FROM shop WHERE id = $1) AS token`,
    [shopId],
  );
  return row!;
}

const tokenWorks = (token: string) => authenticateApiToken(db().prisma, `Bearer ${token}`).then(() => true, () => false);
/** Whether the scheduler would start a run of the shop's destination now. */
const destinationRuns = async (shopId: string, now: Date) => {
  const [destination] = await db().sql.query<{ id: string }>(`SELECT id FROM destination WHERE shop_id = $1`, [shopId]);
  if (!destination) return false;
  const claimed = await claimDueDestination(db().sql, "uninstall-test", now, 1_000, destination.id);
  if (claimed) await db().sql.query(`UPDATE destination SET lease_owner = NULL, lease_until = NULL WHERE id = $1`, [claimed.id]);
  return claimed !== undefined;
};

describe("uninstall, shop/redact and re-install, as a merchant lives them", () => {
  it("an uninstall stops everything for the shop at once: webhooks 404, its API token refused, its destinations' schedules paused", async () => {
    const { shop, token } = await setUpShop("leaving.myshopify.com", at(0));
    expect(await tokenWorks(token)).toBe(true);
    expect(await destinationRuns(shop.id, at(1))).toBe(true);

    expect(await deliver("leaving.myshopify.com", "app/uninstalled", at(2))).toBe(200);
    await applyDeliveries(at(2));

    expect(await deliver("leaving.myshopify.com", "inventory_levels/update", at(2.1))).toBe(404);
    expect(await tokenWorks(token)).toBe(false);
    expect(await destinationRuns(shop.id, at(3))).toBe(false);
  });

  it("a re-install within the 48 h keeps the settings, the token and the schedules; the late shop/redact then deletes nothing", async () => {
    const { shop, token } = await setUpShop("coming-back.myshopify.com", at(0));
    expect(await deliver(shop.domain, "app/uninstalled", at(1))).toBe(200);
    await applyDeliveries(at(1));
    expect(await tokenWorks(token)).toBe(false);

    await installShop(db().prisma, { platform: "shopify", domain: shop.domain }, at(20));
    expect(await settingsOf(shop.id)).toEqual({ policy: 1, destinations: 1, backfills: 1, token: true });
    expect(await tokenWorks(token)).toBe(true);
    expect(await destinationRuns(shop.id, at(21))).toBe(true);

    // Shopify's shop/redact for the earlier uninstall arrives 48 h after it.
    expect(await deliver(shop.domain, "shop/redact", at(49))).toBe(200);
    await applyDeliveries(at(49));
    expect(await settingsOf(shop.id)).toEqual({ policy: 1, destinations: 1, backfills: 1, token: true });
    const [request] = await db().sql.query<{ result: unknown }>(`SELECT result FROM compliance_request WHERE shop_id = $1 AND topic = 'shop/redact'`, [shop.id]);
    expect(request!.result).toEqual({ skipped: "re-installed" });
  });

  it("shop/redact 48 h after an uninstall deletes the data, settings and credentials; a later install starts fresh", async () => {
    const { shop, token } = await setUpShop("gone.myshopify.com", at(0));
    expect(await deliver(shop.domain, "app/uninstalled", at(1))).toBe(200);
    await applyDeliveries(at(1));

    expect(await deliver(shop.domain, "shop/redact", at(49))).toBe(200);
    await applyDeliveries(at(49));
    expect(await settingsOf(shop.id)).toEqual({ policy: 0, destinations: 0, backfills: 0, token: false });
    expect(await db().sql.query(`SELECT 1 FROM session WHERE shop = $1`, [shop.domain])).toEqual([]);

    const again = await installShop(db().prisma, { platform: "shopify", domain: shop.domain }, at(60));
    expect(again.id).toBe(shop.id);
    expect(again.installState).toBe("installed");
    expect(await settingsOf(shop.id)).toEqual({ policy: 0, destinations: 0, backfills: 0, token: false });
    expect(await tokenWorks(token)).toBe(false);
    expect(await destinationRuns(shop.id, at(61))).toBe(false);
  });
});
