import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "../../app/db/database.server";
import { installShop } from "../../app/shops/shops.server";
import { signBigCommerceDelivery } from "../../simulators/webhooks/bigcommerce";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { useTestDatabase } from "../helpers/database";
import { BIGCOMMERCE_SECRET, SHOPIFY_SECRET, startWebhookServer, testConfig, type WebhookServer } from "./helpers";

const database = useTestDatabase();
const SHOP = "limits.myshopify.com";
const STORE_HASH = "limits1";
let server: WebhookServer;

function inventoryDelivery() {
  return signShopifyDelivery({ secret: SHOPIFY_SECRET, shopDomain: SHOP, topic: "inventory_levels/update", payload: shopifyPayload("inventory_levels/update") });
}

async function storedCount(): Promise<number> {
  return (await database().sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_inbox`))[0]!.n;
}

async function isStored(webhookId: string): Promise<boolean> {
  return (await database().sql.query(`SELECT 1 FROM webhook_inbox WHERE delivery_id = $1`, [webhookId])).length === 1;
}

/** Holds every inbox write (on PGlite the one connection, on PostgreSQL a lock on the table) until the returned function is called. */
async function holdInboxWrites(): Promise<() => Promise<void>> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const held = database().sql.transaction(async (tx) => {
    await tx.query(`LOCK TABLE webhook_inbox IN EXCLUSIVE MODE`);
    locked();
    await gate;
  });
  await isLocked;
  return async () => {
    release();
    await held;
  };
}

beforeAll(async () => {
  await installShop(database().prisma, { platform: "shopify", domain: SHOP });
  await installShop(database().prisma, { platform: "bigcommerce", domain: `stores/${STORE_HASH}` });
  // One write at a time whatever the database (as on PGlite), so a second delivery waits in the queue; at most 2 held.
  const db: Database = { ...database(), kind: "pglite" };
  server = await startWebhookServer(db, testConfig({ LOCKSTEP_WEBHOOK_QUEUE_LIMIT: "2" }));
});
afterAll(async () => {
  await server.close();
});

describe("a signed body that is not a JSON object", () => {
  it("gets 400 and nothing is stored, whatever the topic or platform", async () => {
    const before = await storedCount();
    for (const [topic, body] of [
      ["inventory_levels/update", "not json"],
      ["inventory_levels/update", "[1, 2]"],
      ["products/update", "null"],
      ["products/update", "42"],
      ["orders/create", '"an order"'],
      ["orders/create", "[]"],
      ["customers/redact", "true"],
      ["app/uninstalled", "{"],
    ]) {
      const response = await server.post("/webhooks/shopify", signShopifyDelivery({ secret: SHOPIFY_SECRET, shopDomain: SHOP, topic: topic!, payload: body! }));
      expect(response, `${topic} ${body}`).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
    }
    for (const body of ["null", "[]", "7", "not json"]) {
      const delivery = signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: STORE_HASH, scope: "store/product/updated", data: { type: "product", id: 1 } });
      // Re-signed over the other body: the signature is right, the body is not a callback.
      const { Webhook } = await import("standardwebhooks");
      delivery.headers["webhook-signature"] = new Webhook(Buffer.from(BIGCOMMERCE_SECRET).toString("base64")).sign(delivery.headers["webhook-id"]!, new Date(Number(delivery.headers["webhook-timestamp"]) * 1000), body);
      expect(await server.post("/webhooks/bigcommerce", { ...delivery, body }), body).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
    }
    expect(await storedCount()).toBe(before);
  });
});

describe("the group-commit queue", () => {
  it("when full, answers 503 with Retry-After and stores nothing of what it refused; the platform's retry then gets 200", async () => {
    const release = await holdInboxWrites();
    const deliveries = [inventoryDelivery(), inventoryDelivery(), inventoryDelivery()];
    const answers = deliveries.map((delivery) => fetch(`${server.url}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: delivery.body }));
    const refused = await Promise.race(answers.map((answer, index) => answer.then((response) => ({ response, index }))));
    expect(refused.response.status).toBe(503);
    expect(refused.response.headers.get("retry-after")).toBe("2");
    expect(await refused.response.json()).toMatchObject({ error: { code: "inbox_busy" } });
    await release();
    const statuses = await Promise.all(answers.map(async (answer) => (await answer).status));
    expect(statuses.filter((status) => status === 200)).toHaveLength(2);
    const refusedId = deliveries[refused.index]!.headers["x-shopify-webhook-id"]!;
    expect(await isStored(refusedId)).toBe(false);
    expect((await server.post("/webhooks/shopify", deliveries[refused.index]!)).status).toBe(200);
    expect(await isStored(refusedId)).toBe(true);
  });

  it("drops a delivery whose platform hung up while it waited to be stored: nothing stored, nothing answered", async () => {
    const release = await holdInboxWrites();
    const inbox = server.context.webhooks.inbox;
    const first = inventoryDelivery();
    const firstAnswer = fetch(`${server.url}/webhooks/shopify`, { method: "POST", headers: first.headers, body: first.body });
    await vi.waitFor(() => expect(inbox.held()).toBe(1));
    const abandoned = inventoryDelivery();
    const hangUp = new AbortController();
    const abandonedAnswer = fetch(`${server.url}/webhooks/shopify`, { method: "POST", headers: abandoned.headers, body: abandoned.body, signal: hangUp.signal });
    // The first is being written (held up), the second waits in the queue behind it when the platform hangs up.
    await vi.waitFor(() => expect(inbox.held()).toBe(2));
    hangUp.abort();
    await expect(abandonedAnswer).rejects.toThrow();
    await vi.waitFor(() => expect(inbox.held()).toBe(1));
    await release();
    expect((await firstAnswer).status).toBe(200);
    // One more write after it: had the abandoned one still been queued, it would have been written by now.
    expect((await server.post("/webhooks/shopify", inventoryDelivery())).status).toBe(200);
    expect(await isStored(first.headers["x-shopify-webhook-id"]!)).toBe(true);
    expect(await isStored(abandoned.headers["x-shopify-webhook-id"]!)).toBe(false);
  });
});
