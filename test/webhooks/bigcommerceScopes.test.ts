import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installShop } from "../../app/shops/shops.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { BIGCOMMERCE_SCOPES } from "../../app/platforms/bigcommerce/hooks";
import { processDueRows } from "../../app/webhooks/workerLoop.server";
import { signBigCommerceDelivery } from "../../simulators/webhooks/bigcommerce";
import { SimulatedBigCommerceStore } from "../../simulators/webhooks/bigcommerceStore";
import { useTestDatabase } from "../helpers/database";
import { BIGCOMMERCE_SECRET, startWebhookServer, type WebhookServer } from "./helpers";

const database = useTestDatabase();
const store = new SimulatedBigCommerceStore();
let server: WebhookServer;

// The thin payloads as BigCommerce documents them (webhooks.v3.yml), one per scope Lockstep registers.
const DATA: Record<string, Record<string, unknown>> = {
  "store/product/created": { type: "product", id: 205 },
  "store/product/updated": { type: "product", id: 205 },
  "store/product/deleted": { type: "product", id: 206 },
  "store/product/inventory/updated": { type: "product", id: 205, inventory: { product_id: 205, method: "absolute", value: 2 } },
  "store/product/inventory/order/updated": { type: "product", id: 205, inventory: { product_id: 205, method: "relative", value: -1 } },
  "store/sku/created": { type: "sku", id: 461, sku: { product_id: 205, variant_id: 509 } },
  "store/sku/updated": { type: "sku", id: 461, sku: { product_id: 205, variant_id: 509 } },
  "store/sku/inventory/updated": { type: "sku", id: 461, inventory: { product_id: 205, method: "absolute", value: 2, variant_id: 509 } },
  "store/sku/inventory/order/updated": { type: "sku", id: 461, inventory: { product_id: 205, method: "relative", value: -1, variant_id: 509 } },
  "store/order/created": { type: "order", id: 250 },
  "store/order/updated": { type: "order", id: 250 },
  "store/order/statusUpdated": { type: "order", id: 250, status: { previous_status_id: 0, new_status_id: 11 } },
  "store/order/refund/created": { type: "order", id: 250, refund: { refund_id: 3 } },
  "store/app/uninstalled": { type: "app", id: 0 },
};

beforeAll(async () => {
  server = await startWebhookServer(database());
  store.products.set("205", { id: "205", name: "Enamel mug", visible: true, dateModified: new Date(), variants: [{ id: "509", sku: "MUG-ENAMEL", price: "12.00", title: "Enamel" }] });
  store.setLevel("509", "1", 6, "MUG-ENAMEL");
  store.orders.set("250", { id: "250", status: "Awaiting Fulfillment", cartId: "cart-250", customerId: "77", currency: "EUR", totalIncTax: "24.00", paymentStatus: "captured", dateModified: new Date(), lineItems: [{ id: "900", variantId: "509", sku: "MUG-ENAMEL", quantity: 2 }] });
  store.refunds.set("250", [{ id: "3", orderId: "250", createdAt: new Date(), items: [{ lineItemId: "900", quantity: 1 }] }]);
});
afterAll(async () => {
  await server.close();
});

describe("every BigCommerce scope Lockstep registers", () => {
  it("is verified, stored, read back and applied", async () => {
    expect(Object.keys(DATA).sort()).toEqual([...BIGCOMMERCE_SCOPES].sort());
    const shop = await installShop(database().prisma, { platform: "bigcommerce", domain: "stores/scopes1" });
    const base = Math.floor(Date.now() / 1000) - 100;
    for (const [index, scope] of BIGCOMMERCE_SCOPES.entries()) {
      // The uninstall happened after the install (an older one would be ignored: the merchant reinstalled since).
      const createdAt = scope === "store/app/uninstalled" ? new Date(Date.now() + 1000) : new Date((base + index) * 1000);
      const delivery = signBigCommerceDelivery({ clientSecret: BIGCOMMERCE_SECRET, storeHash: "scopes1", scope, data: DATA[scope]!, createdAt });
      expect((await server.post("/webhooks/bigcommerce", delivery)).status, scope).toBe(200);
    }
    // Process in arrival order; the uninstall (last) must not skip what came before it.
    await processDueRows({ sql: database().sql, workerId: "w", metrics: new WebhookMetrics(), bigCommerce: store, maxAttempts: 3, leaseMs: 30_000, batchSize: 100 });
    const states = await database().sql.query<{ topic: string; state: string; last_error: string | null }>(
      `SELECT topic, state::text, last_error FROM webhook_inbox WHERE shop_id = $1 ORDER BY id`,
      [shop.id],
    );
    expect(states).toEqual(BIGCOMMERCE_SCOPES.map((topic) => ({ topic, state: "processed", last_error: null })));
    expect(await database().sql.query(`SELECT external_id, status FROM product WHERE shop_id = $1 ORDER BY external_id`, [shop.id])).toEqual([
      { external_id: "205", status: "active" },
      { external_id: "206", status: "deleted" },
    ]);
    expect(await database().sql.query(`SELECT v.sku, v.price::text AS price, l.on_hand FROM variant v JOIN inventory_level l ON l.variant_id = v.id WHERE v.shop_id = $1`, [shop.id])).toEqual([
      { sku: "MUG-ENAMEL", price: "12.0000", on_hand: 6 },
    ]);
    expect(await database().sql.query(`SELECT external_id, cart_token, customer_external_id, refunds ? '3' AS refunded FROM platform_order WHERE shop_id = $1`, [shop.id])).toEqual([
      { external_id: "250", cart_token: "cart-250", customer_external_id: "77", refunded: true },
    ]);
    expect(await database().sql.query(`SELECT install_state::text FROM shop WHERE id = $1`, [shop.id])).toEqual([{ install_state: "uninstalled" }]);
  });
});
