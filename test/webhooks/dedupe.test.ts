import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installShop } from "../../app/shops/shops.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { processDueRows } from "../../app/webhooks/workerLoop.server";
import { signBigCommerceDelivery } from "../../simulators/webhooks/bigcommerce";
import { SimulatedBigCommerceStore } from "../../simulators/webhooks/bigcommerceStore";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { useTestDatabase } from "../helpers/database";
import { BIGCOMMERCE_SECRET, SHOPIFY_SECRET, startWebhookServer, type WebhookServer } from "./helpers";

const database = useTestDatabase();
const store = new SimulatedBigCommerceStore();
let server: WebhookServer;

beforeAll(async () => {
  server = await startWebhookServer(database());
});
afterAll(async () => {
  await server.close();
});

async function processAll(): Promise<void> {
  await processDueRows({ sql: database().sql, workerId: "w", metrics: new WebhookMetrics(), bigCommerce: store, maxAttempts: 3, leaseMs: 30_000, batchSize: 100 });
}

describe("deduplication", () => {
  it("two updates of one BigCommerce product (the same `hash`, as BigCommerce computes it) are both stored and applied; a retry of one is not", async () => {
    const shop = await installShop(database().prisma, { platform: "bigcommerce", domain: "stores/dedupe1" });
    const update = (createdAt: Date, webhookId?: string) =>
      signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: "dedupe1", scope: "store/product/updated", data: { type: "product", id: 205 }, createdAt, webhookId });
    const title = async () => (await database().sql.query<{ title: string }>(`SELECT title FROM product WHERE shop_id = $1 AND external_id = '205'`, [shop.id]))[0]?.title;

    const firstAt = new Date(Date.now() - 60_000);
    store.products.set("205", { id: "205", name: "Enamel mug", visible: true, dateModified: firstAt, variants: [{ id: "509", sku: "MUG-ENAMEL", price: "12.00", title: "Enamel" }] });
    const first = update(firstAt);
    expect(await server.post("/webhooks/bigcommerce", first)).toEqual({ status: 200, body: { ok: true } });
    await processAll();
    expect(await title()).toBe("Enamel mug");

    // The merchant renames the product: BigCommerce sends the same thin data, so the same hash, under a new webhook-id.
    const secondAt = new Date(Date.now() - 30_000);
    store.products.set("205", { ...store.products.get("205")!, name: "Enamel mug (large)", dateModified: secondAt });
    const second = update(secondAt);
    expect(JSON.parse(second.body).hash).toBe(JSON.parse(first.body).hash);
    expect(await server.post("/webhooks/bigcommerce", second)).toEqual({ status: 200, body: { ok: true } });
    // BigCommerce retrying the second message: same webhook-id, signed again later.
    const retry = update(secondAt, second.headers["webhook-id"]);
    expect(await server.post("/webhooks/bigcommerce", retry)).toMatchObject({ status: 200, body: { duplicate: true } });
    await processAll();
    expect(await title()).toBe("Enamel mug (large)");
    expect(await database().sql.query(`SELECT state::text, event_id FROM webhook_inbox WHERE shop_id = $1 ORDER BY id`, [shop.id])).toEqual([
      { state: "processed", event_id: null },
      { state: "processed", event_id: null },
    ]);
  });

  it("dedupe keys are scoped by shop: the same delivery and event ids for two shops are two deliveries", async () => {
    await installShop(database().prisma, { platform: "shopify", domain: "north.myshopify.com" });
    await installShop(database().prisma, { platform: "shopify", domain: "south.myshopify.com" });
    const ids = { webhookId: "same-webhook-id", eventId: "same-event-id" };
    for (const shopDomain of ["north.myshopify.com", "south.myshopify.com"]) {
      const delivery = signShopifyDelivery({ secret: SHOPIFY_SECRET, shopDomain, topic: "products/update", payload: shopifyPayload("products/update"), ...ids });
      expect(await server.post("/webhooks/shopify", delivery), shopDomain).toEqual({ status: 200, body: { ok: true } });
      expect(await server.post("/webhooks/shopify", delivery), shopDomain).toMatchObject({ status: 200, body: { duplicate: true } });
    }
    // Both in one group commit as well.
    const together = ["north.myshopify.com", "south.myshopify.com"].map((shopDomain) =>
      signShopifyDelivery({ secret: SHOPIFY_SECRET, shopDomain, topic: "products/update", payload: shopifyPayload("products/update"), webhookId: "together", eventId: "together" }),
    );
    const answers = await Promise.all(together.map((delivery) => server.post("/webhooks/shopify", delivery)));
    expect(answers).toEqual([{ status: 200, body: { ok: true } }, { status: 200, body: { ok: true } }]);
    expect(await database().sql.query(`SELECT s.domain, i.delivery_id FROM webhook_inbox i JOIN shop s ON s.id = i.shop_id WHERE s.platform = 'shopify' ORDER BY i.delivery_id, s.domain`)).toEqual([
      { domain: "north.myshopify.com", delivery_id: "same-webhook-id" },
      { domain: "south.myshopify.com", delivery_id: "same-webhook-id" },
      { domain: "north.myshopify.com", delivery_id: "together" },
      { domain: "south.myshopify.com", delivery_id: "together" },
    ]);
  });
});
