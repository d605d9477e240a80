import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/database.server";
import { installShop, uninstallShop } from "../../app/shops/shops.server";
import { SHOPIFY_TOPICS } from "../../app/webhooks/normalise/shopify";
import { BIGCOMMERCE_RETRY_SCHEDULE_MS, signBigCommerceDelivery, signedPayloadJwt } from "../../simulators/webhooks/bigcommerce";
import { deliverWithRetries, SHOPIFY_RETRY_SCHEDULE_MS, shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { createTestDatabase, useTestDatabase } from "../helpers/database";
import { BIGCOMMERCE_CLIENT_ID, BIGCOMMERCE_SECRET, SHOPIFY_PREVIOUS_SECRET, SHOPIFY_SECRET, startWebhookServer, testConfig, type WebhookServer } from "../webhooks/helpers";

const database = useTestDatabase();
const SHOP = "routes-shop.myshopify.com";
const GONE = "gone-shop.myshopify.com";
const STORE_HASH = "abc123";
let server: WebhookServer;

function shopify(topic: string, overrides: Partial<Parameters<typeof signShopifyDelivery>[0]> = {}) {
  return signShopifyDelivery({ secret: SHOPIFY_SECRET, shopDomain: SHOP, topic, payload: shopifyPayload(topic), ...overrides });
}

async function inboxRows(where = "true", params: unknown[] = []) {
  return database().sql.query<{ topic: string; delivery_id: string; event_id: string | null; payload: string; state: string }>(
    `SELECT topic, delivery_id, event_id, payload, state::text FROM webhook_inbox WHERE ${where} ORDER BY id`,
    params,
  );
}

beforeAll(async () => {
  const prisma = database().prisma;
  await installShop(prisma, { platform: "shopify", domain: SHOP });
  const gone = await installShop(prisma, { platform: "shopify", domain: GONE });
  await uninstallShop(prisma, gone.id);
  await installShop(prisma, { platform: "bigcommerce", domain: `stores/${STORE_HASH}` });
  server = await startWebhookServer(database());
});
afterAll(async () => {
  await server.close();
});

describe("POST /webhooks/shopify", () => {
  it("answers 200 for every subscribed topic, only once the delivery is in the inbox", async () => {
    for (const topic of SHOPIFY_TOPICS) {
      const delivery = shopify(topic);
      const response = await server.post("/webhooks/shopify", delivery);
      expect(response.status, topic).toBe(200);
      const rows = await inboxRows("delivery_id = $1", [delivery.headers["x-shopify-webhook-id"]]);
      expect(rows, topic).toHaveLength(1);
      expect(rows[0]).toMatchObject({ topic, state: "pending", event_id: delivery.headers["x-shopify-event-id"] });
    }
  });

  it("drops a duplicate delivery (same webhook id) and a duplicate event (same event id, new delivery) without storing them again", async () => {
    const delivery = shopify("inventory_levels/update");
    const before = (await server.context.webhooks.metrics.counts()).duplicatesDropped;
    expect((await server.post("/webhooks/shopify", delivery)).status).toBe(200);
    const again = await server.post("/webhooks/shopify", delivery);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    const sameEvent = shopify("inventory_levels/update", { eventId: delivery.headers["x-shopify-event-id"], payload: delivery.body });
    expect(sameEvent.headers["x-shopify-webhook-id"]).not.toBe(delivery.headers["x-shopify-webhook-id"]);
    expect(await server.post("/webhooks/shopify", sameEvent)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await inboxRows("event_id = $1", [delivery.headers["x-shopify-event-id"]])).toHaveLength(1);
    expect((await server.context.webhooks.metrics.counts()).duplicatesDropped - before).toBe(2);
  });

  it("stores concurrent deliveries (one group commit) and dedupes copies inside the same batch", async () => {
    const deliveries = Array.from({ length: 40 }, () => shopify("inventory_levels/update"));
    const copies = deliveries.slice(0, 5);
    const responses = await Promise.all([...deliveries, ...copies].map((delivery) => server.post("/webhooks/shopify", delivery)));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(responses.filter((response) => response.body.duplicate === true)).toHaveLength(5);
    const ids = deliveries.map((delivery) => delivery.headers["x-shopify-webhook-id"]);
    expect(await inboxRows("delivery_id = ANY($1::text[])", [ids])).toHaveLength(40);
  });

  it("accepts the previous secret during a rotation, and answers 401 to a wrong or missing signature", async () => {
    expect((await server.post("/webhooks/shopify", signShopifyDelivery({ secret: SHOPIFY_PREVIOUS_SECRET, shopDomain: SHOP, topic: "products/update", payload: shopifyPayload("products/update") }))).status).toBe(200);
    const forged = signShopifyDelivery({ secret: "not-the-secret", shopDomain: SHOP, topic: "products/update", payload: shopifyPayload("products/update") });
    expect(await server.post("/webhooks/shopify", forged)).toMatchObject({ status: 401, body: { error: { code: "invalid_signature" } } });
    const tampered = shopify("inventory_levels/update");
    expect((await server.post("/webhooks/shopify", { ...tampered, body: tampered.body.replace('"available":6', '"available":600') })).status).toBe(401);
    const { "x-shopify-hmac-sha256": _dropped, ...unsigned } = shopify("products/update").headers;
    expect((await server.post("/webhooks/shopify", { headers: unsigned, body: "{}" })).status).toBe(401);
    expect(await inboxRows("delivery_id = $1", [forged.headers["x-shopify-webhook-id"]])).toHaveLength(0);
  });

  it("answers 400 when a required header is missing (signature valid)", async () => {
    for (const name of ["x-shopify-topic", "x-shopify-shop-domain", "x-shopify-webhook-id", "x-shopify-api-version"]) {
      const delivery = shopify("products/update");
      delete delivery.headers[name];
      const response = await server.post("/webhooks/shopify", delivery);
      expect(response.status, name).toBe(400);
      expect(response.body).toMatchObject({ error: { code: "missing_headers" } });
    }
  });

  it("answers 405 to other methods and 413 over the body limit", async () => {
    const get = await fetch(`${server.url}/webhooks/shopify`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const big = shopify("products/update", { payload: { id: 1, body_html: "x".repeat(70_000) } });
    expect((await server.post("/webhooks/shopify", big)).status).toBe(413);
  });

  it("answers 404 for an unknown or uninstalled shop, but accepts compliance topics for an uninstalled one", async () => {
    expect(await server.post("/webhooks/shopify", shopify("products/update", { shopDomain: "stranger.myshopify.com" }))).toMatchObject({ status: 404, body: { error: { code: "unknown_shop" } } });
    expect(await server.post("/webhooks/shopify", shopify("products/update", { shopDomain: GONE }))).toMatchObject({ status: 404, body: { error: { code: "shop_uninstalled" } } });
    for (const topic of ["customers/data_request", "customers/redact", "shop/redact"]) {
      expect((await server.post("/webhooks/shopify", shopify(topic, { shopDomain: GONE }))).status, topic).toBe(200);
    }
    expect((await server.post("/webhooks/shopify", shopify("shop/redact", { shopDomain: "stranger.myshopify.com" }))).status).toBe(404);
  });

  it("never stores emails, phones, addresses or card data from order and customer payloads", async () => {
    for (const topic of ["orders/create", "orders/updated", "orders/paid", "orders/cancelled", "refunds/create", "customers/data_request", "customers/redact", "app/uninstalled"]) {
      const delivery = shopify(topic);
      expect(delivery.body).toMatch(/@example\.com|@supertoys\.com|555-625-1199|4242/);
      expect((await server.post("/webhooks/shopify", delivery)).status).toBe(200);
      const [row] = await inboxRows("delivery_id = $1", [delivery.headers["x-shopify-webhook-id"]]);
      expect(row!.payload, topic).not.toMatch(/@|phone|address|4242|Lovelace|203\.0\.113/);
    }
    const [order] = await inboxRows("delivery_id IN (SELECT delivery_id FROM webhook_inbox WHERE topic = 'orders/create' ORDER BY id DESC LIMIT 1)");
    expect(JSON.parse(order!.payload)).toMatchObject({ id: "8209829119461545", cart_token: "cart-68778783ad298f1c80c3bafcddeea02f", customer: { id: "1153106273147239" }, line_items: [{ sku: "example-shirt-s", quantity: 2 }] });
  });

  it("answers 400 to a signed body that is not JSON on a topic it must minimise", async () => {
    expect((await server.post("/webhooks/shopify", shopify("orders/create", { payload: "not json" }))).status).toBe(400);
  });
});

describe("database down", () => {
  let second: Database | undefined;
  afterAll(async () => {
    await second?.close();
  });

  // Opens (and migrates) a second database: slow on a loaded machine.
  it("answers 503 while the inbox cannot be written, then 200 when the platform retries after recovery", { timeout: 120_000 }, async () => {
    second = await createTestDatabase();
    await installShop(second.prisma, { platform: "shopify", domain: SHOP });
    let current: Database = second;
    // The same process keeps its handle; what is behind it goes away and comes back.
    const switching: Database = { ...second, sql: { ...second.sql, query: (text, params) => current.sql.query(text, params) } };
    const flaky = await startWebhookServer(switching, testConfig());
    try {
      const delivery = shopify("inventory_levels/update");
      const down = await createTestDatabase({ migrate: false });
      await down.close();
      current = down;
      expect(await flaky.post("/webhooks/shopify", delivery)).toMatchObject({ status: 503, body: { error: { code: "inbox_unavailable" } } });
      // Shopify's own retry: the same delivery again after its first wait; the database is back by then.
      const waits: number[] = [];
      const result = await deliverWithRetries(`${flaky.url}/webhooks/shopify`, delivery, {
        sleep: async (ms) => {
          waits.push(ms);
          current = second!;
        },
      });
      expect(result.statuses).toEqual([503, 200]);
      expect(waits).toEqual([SHOPIFY_RETRY_SCHEDULE_MS[0]]);
      const rows = await second.sql.query(`SELECT 1 FROM webhook_inbox WHERE delivery_id = $1`, [delivery.headers["x-shopify-webhook-id"]]);
      expect(rows).toHaveLength(1);

      // BigCommerce the same way, on its own schedule (first retry after 60 s).
      await installShop(second.prisma, { platform: "bigcommerce", domain: `stores/${STORE_HASH}` });
      current = down;
      const bigCommerceWaits: number[] = [];
      const bigCommerce = await deliverWithRetries(
        `${flaky.url}/webhooks/bigcommerce`,
        signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: STORE_HASH, scope: "store/product/updated", data: { type: "product", id: 1 } }),
        {
          schedule: BIGCOMMERCE_RETRY_SCHEDULE_MS,
          sleep: async (ms) => {
            bigCommerceWaits.push(ms);
            current = second!;
          },
        },
      );
      expect(bigCommerce.statuses).toEqual([503, 200]);
      expect(bigCommerceWaits).toEqual([60_000]);
    } finally {
      await flaky.close();
    }
  });
});

describe("POST /webhooks/bigcommerce", () => {
  const deliver = (input: Partial<Parameters<typeof signBigCommerceDelivery>[0]> = {}) =>
    server.post("/webhooks/bigcommerce", signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: STORE_HASH, scope: "store/product/updated", data: { type: "product", id: 167 }, ...input }));

  it("stores a delivery signed the Standard Webhooks way with the store's secret header, and dedupes on webhook-id (a retry re-signs the same id)", async () => {
    const delivery = signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: STORE_HASH, scope: "store/sku/inventory/updated", data: { type: "sku", id: 461, inventory: { product_id: 167, variant_id: 509, method: "absolute", value: 2 } } });
    expect((await server.post("/webhooks/bigcommerce", delivery)).status).toBe(200);
    expect(await server.post("/webhooks/bigcommerce", delivery)).toMatchObject({ status: 200, body: { duplicate: true } });
    const webhookId = delivery.headers["webhook-id"]!;
    const retried = signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: STORE_HASH, scope: "store/sku/inventory/updated", data: { type: "sku", id: 461 }, webhookId, signedAt: new Date(Date.now() + 1000) });
    expect(await server.post("/webhooks/bigcommerce", retried)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await inboxRows("delivery_id = $1", [webhookId])).toMatchObject([{ event_id: null }]);
  });

  it("answers 401 for a wrong key, a stale timestamp, or a wrong or missing store secret header", async () => {
    expect((await deliver({ clientSecret: "someone-else" })).status).toBe(401);
    expect((await deliver({ signedAt: new Date(Date.now() - 10 * 60_000) })).status).toBe(401);
    expect((await deliver({ storeSecret: "guessed" })).status).toBe(401);
    expect((await deliver({ storeSecret: null })).status).toBe(401);
    const unsigned = signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: STORE_HASH, scope: "store/product/updated", data: { type: "product", id: 1 } });
    delete unsigned.headers["webhook-signature"];
    expect((await server.post("/webhooks/bigcommerce", unsigned)).status).toBe(401);
  });

  it("answers 404 for a store that has not installed Lockstep, 400 for a signed body that is not a callback", async () => {
    expect((await deliver({ storeHash: "nobody" })).status).toBe(404);
    const notCallback = signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: STORE_HASH, scope: "store/product/updated", data: { type: "product", id: 1 } });
    const { Webhook } = await import("standardwebhooks");
    const body = JSON.stringify({ hello: "world" });
    notCallback.headers["webhook-signature"] = new Webhook(Buffer.from(BIGCOMMERCE_SECRET).toString("base64")).sign(notCallback.headers["webhook-id"]!, new Date(Number(notCallback.headers["webhook-timestamp"]) * 1000), body);
    expect((await server.post("/webhooks/bigcommerce", { ...notCallback, body })).status).toBe(400);
  });
});

describe("BigCommerce app callbacks", () => {
  it("load verifies signed_payload_jwt and opens the store's admin; a forged or foreign token gets 401", async () => {
    const jwt = signedPayloadJwt({ clientSecret: BIGCOMMERCE_SECRET, clientId: BIGCOMMERCE_CLIENT_ID, storeHash: STORE_HASH });
    const ok = await fetch(`${server.url}/auth/bigcommerce/load?signed_payload_jwt=${jwt}`, { redirect: "manual" });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/app");
    expect(ok.headers.get("set-cookie")).toMatch(/^lockstep_bigcommerce_staff=.*HttpOnly/i);
    const forged = signedPayloadJwt({ clientSecret: "wrong", clientId: BIGCOMMERCE_CLIENT_ID, storeHash: STORE_HASH });
    expect((await fetch(`${server.url}/auth/bigcommerce/load?signed_payload_jwt=${forged}`)).status).toBe(401);
    const foreign = signedPayloadJwt({ clientSecret: BIGCOMMERCE_SECRET, clientId: "another-app", storeHash: STORE_HASH });
    expect((await fetch(`${server.url}/auth/bigcommerce/load?signed_payload_jwt=${foreign}`)).status).toBe(401);
    const none = signedPayloadJwt({ clientSecret: BIGCOMMERCE_SECRET, clientId: BIGCOMMERCE_CLIENT_ID, storeHash: STORE_HASH, algorithm: "none" });
    expect((await fetch(`${server.url}/auth/bigcommerce/load?signed_payload_jwt=${none}`)).status).toBe(401);
    expect((await fetch(`${server.url}/auth/bigcommerce/load`)).status).toBe(401);
    const stranger = signedPayloadJwt({ clientSecret: BIGCOMMERCE_SECRET, clientId: BIGCOMMERCE_CLIENT_ID, storeHash: "nobody" });
    expect((await fetch(`${server.url}/auth/bigcommerce/load?signed_payload_jwt=${stranger}`)).status).toBe(404);
  });
});
