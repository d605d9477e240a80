import { beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../app/db/database.server";
import { installShop } from "../../app/shops/shops.server";
import { createInbox } from "../../app/webhooks/inbox.server";
import { WebhookMetrics } from "../../app/webhooks/metrics.server";
import { nextBatchSize, startWebhookWorker, type WebhookWorkerOptions } from "../../app/webhooks/workerLoop.server";
import { shopifyPayload } from "../../simulators/webhooks/shopify";
import { useTestDatabase } from "../helpers/database";

const database = useTestDatabase();
const metrics = new WebhookMetrics();
const SHOP = "batches.myshopify.com";
let shopId: string;

function worker(overrides: Partial<WebhookWorkerOptions> = {}): WebhookWorkerOptions {
  return { sql: database().sql, workerId: "w", metrics, maxAttempts: 3, leaseMs: 30_000, batchSize: 10, maxBatchSize: 40, ...overrides };
}

beforeAll(async () => {
  shopId = (await installShop(database().prisma, { platform: "shopify", domain: SHOP })).id;
});

describe("how many rows a worker loop claims", () => {
  it("batchSize while the queue keeps up; on a backlog twice the last, up to maxBatchSize and what a tenth of the lease allows", () => {
    const options = worker();
    expect(nextBatchSize(options, { limit: 10, claimed: 7, elapsedMs: 5 })).toBe(10);
    expect(nextBatchSize(options, { limit: 40, claimed: 39, elapsedMs: 5 })).toBe(10);
    expect(nextBatchSize(options, { limit: 10, claimed: 10, elapsedMs: 5 })).toBe(20);
    expect(nextBatchSize(options, { limit: 20, claimed: 20, elapsedMs: 5 })).toBe(40);
    expect(nextBatchSize(options, { limit: 40, claimed: 40, elapsedMs: 5 })).toBe(40);
    // 10 rows took 1 s: a tenth of the 30 s lease holds 30 at that pace.
    expect(nextBatchSize({ ...options, maxBatchSize: 1000 }, { limit: 10, claimed: 10, elapsedMs: 1000 })).toBe(20);
    expect(nextBatchSize({ ...options, maxBatchSize: 1000 }, { limit: 20, claimed: 20, elapsedMs: 2000 })).toBe(30);
    // Slower than that: never below batchSize.
    expect(nextBatchSize({ ...options, maxBatchSize: 1000 }, { limit: 10, claimed: 10, elapsedMs: 60_000 })).toBe(10);
    // No maxBatchSize: no growth.
    expect(nextBatchSize({ ...options, maxBatchSize: undefined }, { limit: 10, claimed: 10, elapsedMs: 5 })).toBe(10);
  });

  it("a running loop claims more at once while a backlog lasts, applies every event once, newest level last", async () => {
    const inbox = createInbox({ sql: database().sql, metrics });
    const at = Date.parse("2026-06-01T00:00:00Z");
    for (let i = 0; i < 150; i++) {
      const outcome = await inbox.store({
        platform: "shopify",
        shopDomain: SHOP,
        topic: "inventory_levels/update",
        deliveryId: `batch-${i}`,
        payload: JSON.stringify(shopifyPayload("inventory_levels/update", { inventory_item_id: 500 + (i % 3), location_id: 1, available: i, updated_at: new Date(at + i * 1000).toISOString() })),
        receivedAt: new Date(),
      });
      expect(outcome.kind).toBe("stored");
    }
    const claims: number[] = [];
    const sql: Sql = {
      ...database().sql,
      async query<Row>(text: string, params?: unknown[]) {
        const rows = await database().sql.query<Row>(text, params);
        if (text.startsWith("WITH next AS") && rows.length > 0) claims.push(rows.length);
        return rows;
      },
    };
    const running = startWebhookWorker(worker({ sql, pollMs: 10 }));
    const pending = async () => (await database().sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_inbox WHERE state <> 'processed'`))[0]!.n;
    try {
      while ((await pending()) > 0) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await running.stop();
    }
    expect(claims).toEqual([10, 20, 40, 40, 40]);
    const levels = await database().sql.query<{ item: string; on_hand: number }>(
      `SELECT v.inventory_item_external_id AS item, l.on_hand FROM inventory_level l JOIN variant v ON v.id = l.variant_id WHERE l.shop_id = $1 ORDER BY 1`,
      [shopId],
    );
    expect(levels).toEqual([
      { item: "gid://shopify/InventoryItem/500", on_hand: 147 },
      { item: "gid://shopify/InventoryItem/501", on_hand: 148 },
      { item: "gid://shopify/InventoryItem/502", on_hand: 149 },
    ]);
  });
});
