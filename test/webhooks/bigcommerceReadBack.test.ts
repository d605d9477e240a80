import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiterRegistry, type LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { type BigCommerceClient, createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { installShop } from "../../app/shops/shops.server";
import { createBigCommerceReader } from "../../app/platforms/bigcommerce/reader.server";
import { createInbox } from "../../app/webhooks/inbox.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { processDueRows } from "../../app/webhooks/workerLoop.server";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { useTestDatabase } from "../helpers/database";

const database = useTestDatabase();
let sim: BigCommerceSimulator;
let registry: LimiterRegistry;
let client: BigCommerceClient;

beforeAll(async () => {
  sim = await startBigCommerceSimulator();
  const store = sim.addStore({ storeHash: "readback", accessToken: "token", seed: { locations: ["Main", "Backroom"] } });
  store.addProduct("Mug", [
    { sku: "MUG-RED", price: 9.5, onHand: 7 },
    { sku: "MUG-BLUE", price: 9.5, onHand: 2 },
  ]);
  registry = createLimiterRegistry();
  client = createBigCommerceClient({ storeHash: "readback", accessToken: "token", registry, baseUrl: sim.url });
});

afterAll(async () => {
  client.close();
  await registry.close();
  await sim.close();
});

describe("BigCommerce read-back through the platform's throttled client", () => {
  it("a thin store/product/inventory/updated callback becomes the levels BigCommerce reports, at every location", async () => {
    const reader = createBigCommerceReader(() => client);
    const products = await client.request<{ data: Array<{ id: number; variants: Array<{ id: number; sku: string }> }> }>("GET", "/v3/catalog/products", { query: { include: "variants" } });
    const product = products.body.data[0]!;
    const state = await reader.getProduct("readback", String(product.id));
    expect(state?.variants.map((variant) => variant.sku)).toEqual(product.variants.map((variant) => variant.sku));
    expect(await reader.getProduct("readback", "999999")).toBeNull();

    const shop = await installShop(database().prisma, { platform: "bigcommerce", domain: "stores/readback" });
    const inbox = createInbox({ sql: database().sql, metrics: new WebhookMetrics() });
    const payload = { created_at: Math.floor(Date.now() / 1000), store_id: "1", producer: "stores/readback", scope: "store/product/inventory/updated", hash: "h1", data: { type: "product", id: product.id, inventory: { product_id: product.id, method: "absolute", value: 3 } } };
    await inbox.store({ platform: "bigcommerce", shopDomain: "stores/readback", topic: payload.scope, deliveryId: "d1", eventId: "h1", payload: JSON.stringify(payload), receivedAt: new Date() });
    await processDueRows({ sql: database().sql, workerId: "w", metrics: new WebhookMetrics(), bigCommerce: reader, maxAttempts: 3, leaseMs: 30_000 });

    const expected = await reader.getInventoryLevels("readback", { productId: String(product.id) });
    expect(expected.map((level) => level.onHand).sort()).toEqual([2, 2, 7, 7]);
    const stored = await database().sql.query<{ variant: string; location: string; on_hand: number }>(
      `SELECT v.inventory_item_external_id AS variant, o.external_id AS location, l.on_hand FROM inventory_level l JOIN variant v ON v.id = l.variant_id JOIN location o ON o.id = l.location_id
       WHERE l.shop_id = $1 ORDER BY 1, 2`,
      [shop.id],
    );
    // The product itself was not seen yet: its variants exist as placeholders keyed by inventory item (the variant id).
    expect(stored).toEqual(
      expected
        .map((level) => ({ variant: level.variantId, location: level.locationId, on_hand: level.onHand }))
        .sort((a, b) => a.variant.localeCompare(b.variant) || a.location.localeCompare(b.location)),
    );
  });
});
