import { randomUUID } from "node:crypto";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { LATENCY_BUCKETS_MS, LatencyRollups, domainOfTopic, percentilesOf } from "../../app/observability/latency";
import { createProcessMetrics } from "../../app/observability/metrics.server";
import { publishOnce } from "../../app/observability/processMetrics.server";
import { deleteLatencyRollupsBefore } from "../../app/observability/sql/addLatencyRollups";
import { getReservationCounts } from "../../app/observability/sql/getReservationCounts";
import { rollUpPushedLatency } from "../../app/observability/sql/rollUpPushedLatency";
import { getConsumerLag, getDomainLatencies, getFreshness, getLatencySeries } from "../../app/observability/syncStatus.server";
import { installShop } from "../../app/shops/shops.server";
import { useTestDatabase } from "../helpers/database";

const database = useTestDatabase();
const NOW = new Date("2026-12-02T12:30:30Z");
const at = (msAgo: number) => new Date(NOW.getTime() - msAgo);

async function newShop(name: string) {
  return installShop(database().prisma, { platform: "shopify", domain: `${name}-${randomUUID().slice(0, 6)}.myshopify.com` });
}

describe("latency roll-ups", () => {
  it("buckets observations per minute and reads p50/p95/p99 back, never above the slowest one", () => {
    const rollups = new LatencyRollups();
    const shopId = randomUUID();
    for (const ms of [10, 20, 30, 40, 1500]) rollups.record({ shopId, domain: "inventory", stage: "applied", occurredAt: at(ms), at: NOW });
    const [row, ...more] = rollups.drain();
    expect(more).toEqual([]);
    expect(row).toMatchObject({ count: 5, sumMs: 1600, maxMs: 1500, minute: new Date("2026-12-02T12:30:00Z") });
    expect(row!.buckets.reduce((a, b) => a + b, 0)).toBe(5);
    expect(row!.buckets[LATENCY_BUCKETS_MS.indexOf(2000)]).toBe(1);
    const figures = percentilesOf([row!]);
    expect(figures.count).toBe(5);
    expect(figures.p50).toBeGreaterThan(10);
    expect(figures.p50).toBeLessThanOrEqual(50);
    expect(figures.p99).toBeLessThanOrEqual(1500);
    expect(percentilesOf([])).toMatchObject({ count: 0, p50: null, p95: null, p99: null });
    expect(rollups.drain()).toEqual([]);
  });

  it("maps webhook topics to domains", () => {
    expect(domainOfTopic("inventory_levels/update")).toBe("inventory");
    expect(domainOfTopic("store/sku/inventory/updated")).toBe("inventory");
    expect(domainOfTopic("orders/create")).toBe("orders");
    expect(domainOfTopic("products/update")).toBe("catalog");
    expect(domainOfTopic("app/uninstalled")).toBeNull();
  });

  it("adds two processes' observations of one minute into one row; a chart per shop sees only its shop, the deployment sees both", async () => {
    const shop = await newShop("rollup");
    const other = await newShop("rollup-other");
    const first = createProcessMetrics(new Registry());
    const second = createProcessMetrics(new Registry());
    first.recordSyncLatency({ shopId: shop.id, domain: "inventory", stage: "applied", occurredAt: at(100), at: NOW });
    second.recordSyncLatency({ shopId: shop.id, domain: "inventory", stage: "applied", occurredAt: at(3000), at: NOW });
    second.recordSyncLatency({ shopId: other.id, domain: "inventory", stage: "applied", occurredAt: at(50), at: NOW });
    await publishOnce({ db: database() }, first, NOW);
    await publishOnce({ db: database() }, second, NOW);

    const rows = await database().sql.query<{ count: number; buckets: number[] }>(`SELECT count, buckets FROM latency_rollup WHERE shop_id = $1`, [shop.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.count).toBe(2);
    expect(rows[0]!.buckets.reduce((a, b) => a + b, 0)).toBe(2);

    const series = await getLatencySeries(database().sql, { shopId: shop.id, domain: "inventory", stage: "applied", range: "hour", now: NOW });
    expect(series).toHaveLength(60);
    expect(series.at(-1)).toMatchObject({ at: new Date("2026-12-02T12:30:00Z"), count: 2, maxMs: 3000 });
    expect(series.slice(0, -1).every((point) => point.count === 0)).toBe(true);
    const deployment = await getDomainLatencies(database().sql, { shopId: null, now: NOW, windowMinutes: 5 });
    expect(deployment.inventory.applied.count).toBeGreaterThanOrEqual(3);
    expect((await getDomainLatencies(database().sql, { shopId: other.id, now: NOW, windowMinutes: 5 })).inventory.applied.count).toBe(1);
    expect((await getLatencySeries(database().sql, { shopId: shop.id, domain: "inventory", stage: "applied", range: "week", now: NOW })).length).toBe(84);

    // Retention removes what is older than the cut-off, nothing newer.
    expect(await deleteLatencyRollupsBefore(database().sql, new Date("2026-12-02T12:30:00Z"))).toBe(0);
    expect(await deleteLatencyRollupsBefore(database().sql, new Date("2026-12-02T12:31:00Z"))).toBeGreaterThanOrEqual(2);
  });

  it("keeps a process's roll-ups for the next publication when the database refuses them", async () => {
    const metrics = createProcessMetrics(new Registry());
    const shop = await newShop("refused");
    metrics.recordSyncLatency({ shopId: shop.id, domain: "orders", stage: "stored", occurredAt: at(5), at: NOW });
    const down = { ...database(), sql: { ...database().sql, query: () => Promise.reject(new Error("connection refused")) } };
    await expect(publishOnce({ db: down }, metrics, NOW)).rejects.toThrow("connection refused");
    await publishOnce({ db: database() }, metrics, NOW);
    const rows = await database().sql.query<{ count: number }>(`SELECT count FROM latency_rollup WHERE shop_id = $1 AND domain = 'orders'`, [shop.id]);
    expect(rows).toEqual([{ count: 1 }]);
  });
});

describe("lag and freshness", () => {
  it("counts the inbox backlog and each destination's captured changes not yet covered, per shop", async () => {
    const shop = await newShop("lag");
    const other = await newShop("lag-other");
    await database().sql.query(
      `INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, payload, received_at, stored_at)
       VALUES ('shopify', $1, 'inventory_levels/update', 'd1', '{}', $2, $2), ('shopify', $3, 'inventory_levels/update', 'd2', '{}', $2, $2)`,
      [shop.id, at(90_000), other.id],
    );
    const [destination] = await database().sql.query<{ id: string }>(
      `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives, watermark) VALUES (gen_random_uuid(), $1, 'ERP', 'erp_http', 'https://erp.example', 'x', '{stock}', 0) RETURNING id`,
      [shop.id],
    );
    await database().sql.query(
      `INSERT INTO change_record (shop_id, variant_id, kind, source_version, occurred_at, source, captured_at)
       VALUES ($1, $2, 'stock', $3, $3, 'webhook', $3), ($1, $2, 'stock', $4, $4, 'webhook', $4)`,
      [shop.id, randomUUID(), at(120_000), at(10_000)],
    );
    const lag = await getConsumerLag(database().sql, { shopId: shop.id, now: NOW });
    expect(lag).toEqual([
      { queue: "inbox", waiting: 1, oldestAgeSeconds: 90 },
      { queue: "change_capture", destinationId: destination!.id, destinationName: "ERP", waiting: 2, oldestAgeSeconds: 120 },
    ]);
    const deployment = await getConsumerLag(database().sql, { shopId: null, now: NOW });
    expect(deployment[0]!.waiting).toBeGreaterThanOrEqual(2);

    // A finished live run: its accepted item's change counts as pushed, and the destination is fresh as of the run's end.
    const [change] = await database().sql.query<{ id: string; variant_id: string }>(`SELECT id::text, variant_id FROM change_record WHERE shop_id = $1 ORDER BY id LIMIT 1`, [shop.id]);
    const [run] = await database().sql.query<{ id: string }>(
      `INSERT INTO destination_run (destination_id, shop_id, reason, status, mode, watermark_from, watermark_to, finished_at)
       VALUES ($1, $2, 'schedule', 'succeeded', 'live', 0, $3::bigint, $4) RETURNING id::text`,
      [destination!.id, shop.id, change!.id, at(60_000)],
    );
    await database().sql.query(
      `INSERT INTO run_item (run_id, destination_id, kind, variant_id, sku, outcome, version, change_id, state) VALUES ($1::bigint, $2, 'stock', $3, 'SKU-1', 'accepted', now(), $4::bigint, '{}')`,
      [run!.id, destination!.id, change!.variant_id, change!.id],
    );
    await rollUpPushedLatency(database().sql, run!.id);
    const pushed = await database().sql.query<{ domain: string; target: string; count: number; max_ms: number }>(
      `SELECT domain, target, count, max_ms FROM latency_rollup WHERE shop_id = $1 AND stage = 'pushed'`,
      [shop.id],
    );
    expect(pushed).toEqual([{ domain: "inventory", target: destination!.id, count: 1, max_ms: 60_000 }]);
    const freshness = await getFreshness(database().sql, { shopId: shop.id, now: NOW });
    expect(freshness.find((entry) => entry.kind === "destination")).toMatchObject({ subject: "ERP", ageSeconds: 60 });
    expect(freshness.find((entry) => entry.subject === "inventory")).toMatchObject({ kind: "domain", ageSeconds: null });
  });

  it("order fan-out lag: undelivered events per destination that receives orders, oldest age and dead letters, one shop's only", async () => {
    const shop = await newShop("fanout");
    const other = await newShop("fanout-other");
    const destination = async (shopId: string, name: string, receives: string) => {
      const [row] = await database().sql.query<{ id: string }>(
        `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives, watermark) VALUES (gen_random_uuid(), $1, $2, 'erp_http', 'https://erp.example', 'x', $3::text[], 1e15) RETURNING id`,
        [shopId, name, `{${receives}}`],
      );
      return row!.id;
    };
    const orders = await destination(shop.id, "Order ERP", "orders");
    const idle = await destination(shop.id, "Quiet ERP", "orders,stock");
    const theirs = await destination(other.id, "Their ERP", "orders");
    const event = (destinationId: string, shopId: string, state: string, createdAt: Date) =>
      database().sql.query(
        `INSERT INTO destination_event (destination_id, shop_id, order_key, event_type, event, state, created_at) VALUES ($1, $2, 'gid://shopify/Order/1', 'OrderCreated', '{}', $3::"WebhookState", $4)`,
        [destinationId, shopId, state, createdAt],
      );
    await event(orders, shop.id, "pending", at(300_000));
    await event(orders, shop.id, "processing", at(30_000));
    await event(orders, shop.id, "dead", at(900_000));
    await event(theirs, other.id, "pending", at(999_000));

    const lag = await getConsumerLag(database().sql, { shopId: shop.id, now: NOW });
    const fanout = lag.filter((queue) => queue.queue === "order_fanout");
    expect(fanout).toEqual([
      { queue: "order_fanout", destinationId: orders, destinationName: "Order ERP", waiting: 2, oldestAgeSeconds: 300, dead: 1 },
      { queue: "order_fanout", destinationId: idle, destinationName: "Quiet ERP", waiting: 0, oldestAgeSeconds: 0, dead: 0 },
    ]);
    // The deployment's view (operators) holds every shop's.
    const deployment = await getConsumerLag(database().sql, { shopId: null, now: NOW });
    expect(deployment.find((queue) => queue.queue === "order_fanout" && queue.destinationId === theirs)).toMatchObject({ queue: "order_fanout", waiting: 1, oldestAgeSeconds: 999 });
  });

  it("reservations: held now with the oldest hold's age, and holds committed, released and expired within the window, one shop's only", async () => {
    const shop = await newShop("holds");
    const other = await newShop("holds-other");
    const hold = (shopId: string, status: string, createdAt: Date, ended: Date | null, units = 1) =>
      database().sql.query(
        `INSERT INTO reservation (id, shop_id, key, status, holds, expires_at, created_at, committed_at, released_at)
         VALUES (gen_random_uuid(), $1, gen_random_uuid()::text, $2::"ReservationStatus", $3::jsonb, $4, $4, $5, $6)`,
        [shopId, status, JSON.stringify([{ v: randomUUID(), s: "all", q: units }]), createdAt, status === "committed" ? ended : null, status === "released" || status === "expired" ? ended : null],
      );
    await hold(shop.id, "active", at(420_000), null, 2);
    await hold(shop.id, "active", at(60_000), null, 3);
    await hold(shop.id, "committed", at(600_000), at(500_000));
    await hold(shop.id, "released", at(600_000), at(400_000));
    await hold(shop.id, "expired", at(900_000), at(300_000));
    await hold(shop.id, "expired", at(900_000), at(200_000));
    // Ended before the window: not counted.
    await hold(shop.id, "committed", at(7_200_000), at(7_000_000));
    await hold(other.id, "active", at(999_000), null, 9);
    await hold(other.id, "expired", at(999_000), at(100_000));

    const counts = await getReservationCounts(database().sql, { shopId: shop.id, now: NOW, since: at(3_600_000) });
    expect(counts).toEqual({ held: 2, unitsHeld: 5, oldestHoldAgeSeconds: 420, committed: 1, released: 1, expired: 2 });
    const none = await getReservationCounts(database().sql, { shopId: (await newShop("holds-none")).id, now: NOW, since: at(3_600_000) });
    expect(none).toEqual({ held: 0, unitsHeld: 0, oldestHoldAgeSeconds: 0, committed: 0, released: 0, expired: 0 });
  });
});
