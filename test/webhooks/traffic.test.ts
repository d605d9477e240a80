import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installShop } from "../../app/shops/shops.server";
import { processDueRows } from "../../app/webhooks/workerLoop.server";
import { runShopifyInventoryTraffic } from "../../simulators/webhooks/traffic";
import { useTestDatabase } from "../helpers/database";
import { SHOPIFY_SECRET, startWebhookServer, type WebhookServer } from "./helpers";
import { mulberry32 } from "../helpers/random";

const database = useTestDatabase();
let server: WebhookServer;

beforeAll(async () => {
  server = await startWebhookServer(database());
});
afterAll(async () => {
  await server.close();
});

describe("simulated Shopify traffic with duplicates, redeliveries and reordering", () => {
  it("ends with the newest level of every item, none lost, none applied twice", async () => {
    const shop = await installShop(database().prisma, { platform: "shopify", domain: "traffic.myshopify.com" });
    const duplicatesBefore = (await server.context.webhooks.metrics.counts()).duplicatesDropped;
    const result = await runShopifyInventoryTraffic({
      url: `${server.url}/webhooks/shopify`,
      secret: SHOPIFY_SECRET,
      shopDomain: shop.domain,
      inventoryItemIds: [1001, 1002, 1003, 1004],
      locationIds: [1, 2],
      events: 200,
      ratePerSecond: 2000,
      duplicateRate: 0.1,
      redeliveryRate: 0.1,
      reorderRate: 0.3,
      maxDelayMs: 50,
      random: mulberry32(7),
    });
    expect(result.statuses).toEqual({ 200: result.sent });
    expect(result.duplicatesSent).toBeGreaterThan(15);
    for (let round = 0; round < 100 && (await processDueRows({ sql: database().sql, workerId: "w", metrics: server.context.webhooks.metrics, maxAttempts: 3, leaseMs: 30_000, batchSize: 100 })) > 0; round++);

    // At least the duplicates sent on purpose; more if a slow answer made the simulator retry a stored delivery.
    expect((await server.context.webhooks.metrics.counts()).duplicatesDropped - duplicatesBefore).toBeGreaterThanOrEqual(result.duplicatesSent);
    const stored = await database().sql.query<{ count: number }>(`SELECT count(*)::int AS count FROM webhook_inbox WHERE shop_id = $1 AND state = 'processed'`, [shop.id]);
    expect(stored[0]!.count).toBe(200);
    const levels = await database().sql.query<{ key: string; on_hand: number }>(
      `SELECT regexp_replace(v.inventory_item_external_id, '^.*/', '') || '@' || regexp_replace(o.external_id, '^.*/', '') AS key, l.on_hand FROM inventory_level l
       JOIN variant v ON v.id = l.variant_id JOIN location o ON o.id = l.location_id WHERE l.shop_id = $1`,
      [shop.id],
    );
    expect(new Map(levels.map((level) => [level.key, level.on_hand]))).toEqual(result.expected);
  });
});
