import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatEta, progressOf } from "../../app/observability/progress";
import { getReplayProgress } from "../../app/observability/sql/getReplayProgress";
import { getRunProgress } from "../../app/observability/sql/getRunProgress";
import { installShop } from "../../app/shops/shops.server";
import { replayDeadLetters } from "../../app/webhooks/sql/replayDeadLetters";
import { useTestDatabase } from "../helpers/database";

const database = useTestDatabase();
const START = new Date("2026-12-03T08:00:00Z");
const after = (seconds: number) => new Date(START.getTime() + seconds * 1000);

async function newShop(name: string) {
  return installShop(database().prisma, { platform: "shopify", domain: `${name}-${randomUUID().slice(0, 6)}.myshopify.com` });
}

describe("progressOf", () => {
  it("gives done of total, the percentage and the time left at the pace so far", () => {
    expect(progressOf({ done: 25, total: 100, startedAt: START, now: after(50) })).toEqual({ done: 25, total: 100, percent: 25, startedAt: START.toISOString(), etaSeconds: 150, finished: false });
    expect(progressOf({ done: 0, total: 100, startedAt: START, now: after(5) })).toMatchObject({ percent: 0, etaSeconds: null });
    expect(progressOf({ done: 100, total: 100, startedAt: START, now: after(60) })).toMatchObject({ percent: 100, etaSeconds: 0, finished: true });
  });

  it("without a total shows only what is done; a total below done is raised to it", () => {
    expect(progressOf({ done: 40, total: null, startedAt: START, now: after(10) })).toMatchObject({ total: null, percent: null, etaSeconds: null, finished: false });
    expect(progressOf({ done: 12, total: 10, startedAt: START, now: after(10), finished: false })).toMatchObject({ total: 12, percent: 100, etaSeconds: 0 });
    expect(progressOf({ done: 0, total: 0, startedAt: START, now: START })).toMatchObject({ percent: 100, finished: true });
  });

  it("reads the time left in words", () => {
    expect(formatEta(null)).toBe("estimating");
    expect(formatEta(42)).toBe("about 42 s left");
    expect(formatEta(600)).toBe("about 10 min left");
    expect(formatEta(5400)).toBe("about 1.5 h left");
  });
});

describe("a running run's progress", () => {
  async function seed(shopId: string, variants: number, receives: string) {
    await database().sql.query(
      `WITH p AS (INSERT INTO product (id, shop_id, external_id, title) SELECT gen_random_uuid(), $1, 'P' || n, 'Product' FROM generate_series(1, $2::int) n RETURNING id, external_id)
       INSERT INTO variant (id, shop_id, product_id, external_id, sku) SELECT gen_random_uuid(), $1, p.id, 'V' || p.external_id, 'SKU-' || p.external_id FROM p`,
      [shopId, variants],
    );
    const [destination] = await database().sql.query<{ id: string }>(
      `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives) VALUES (gen_random_uuid(), $1, 'ERP', 'erp_http', 'https://erp.example', 'x', $2::text[]) RETURNING id`,
      [shopId, `{${receives}}`],
    );
    return destination!.id;
  }

  async function startRun(destinationId: string, shopId: string, reason: string, from = 0, to = 0) {
    const [run] = await database().sql.query<{ id: string }>(
      `INSERT INTO destination_run (destination_id, shop_id, reason, status, mode, watermark_from, watermark_to, started_at) VALUES ($1, $2, $3, 'running', 'live', $4, $5, $6) RETURNING id::text`,
      [destinationId, shopId, reason, from, to, START],
    );
    return run!.id;
  }

  async function reportItems(runId: string, destinationId: string, shopId: string, count: number) {
    await database().sql.query(
      `INSERT INTO run_item (run_id, destination_id, kind, variant_id, sku, outcome, version, change_id, state)
       SELECT $1::bigint, $2, 'stock', id, sku, 'accepted', now(), 0, '{}' FROM variant WHERE shop_id = $3 ORDER BY id LIMIT $4`,
      [runId, destinationId, shopId, count],
    );
  }

  it("a full run: every variant of each kind it receives is the total, the delivery results so far are done", async () => {
    const shop = await newShop("full-run");
    const destinationId = await seed(shop.id, 6, "stock,price,orders");
    expect(await getRunProgress(database().sql, shop.id, destinationId)).toBeUndefined();
    const runId = await startRun(destinationId, shop.id, "full");
    await reportItems(runId, destinationId, shop.id, 3);
    expect(await getRunProgress(database().sql, shop.id, destinationId)).toMatchObject({ runId, reason: "full", done: 3, total: 12 });
    // Another shop's staff cannot read it through this destination.
    expect(await getRunProgress(database().sql, (await newShop("stranger")).id, destinationId)).toBeUndefined();
  });

  it("a delta run: the items changed in its range and the retries owed are the total", async () => {
    const shop = await newShop("delta-run");
    const destinationId = await seed(shop.id, 5, "stock");
    await database().sql.query(
      `INSERT INTO change_record (shop_id, variant_id, kind, source_version, occurred_at, source) SELECT shop_id, id, 'stock', now(), now(), 'webhook' FROM variant WHERE shop_id = $1`,
      [shop.id],
    );
    const [range] = await database().sql.query<{ lo: string; hi: string }>(`SELECT (min(id) - 1)::text AS lo, (min(id) + 3)::text AS hi FROM change_record WHERE shop_id = $1`, [shop.id]);
    const runId = await startRun(destinationId, shop.id, "schedule", Number(range!.lo), Number(range!.hi));
    await database().sql.query(
      `INSERT INTO destination_retry (destination_id, kind, variant_id, sku, first_run_id, last_run_id) SELECT $1, 'stock', id, sku, 1, 1 FROM variant WHERE shop_id = $2 ORDER BY id DESC LIMIT 1`,
      [destinationId, shop.id],
    );
    await reportItems(runId, destinationId, shop.id, 2);
    expect(await getRunProgress(database().sql, shop.id, destinationId)).toMatchObject({ done: 2, total: 5 });
  });
});

describe("the last replay's progress", () => {
  it("counts the replayed rows applied (purged ones too), dead again and still waiting; one shop's replays only", async () => {
    const shop = await newShop("replay");
    const other = await newShop("replay-other");
    const dead = (shopId: string, n: number) =>
      database().sql.query(
        `INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, payload, received_at, state, dead_at)
         SELECT 'shopify', $1, 'orders/create', gen_random_uuid()::text, '{}', now(), 'dead', now() FROM generate_series(1, $2::int)`,
        [shopId, n],
      );
    await dead(shop.id, 5);
    await dead(other.id, 2);
    expect(await getReplayProgress(database().sql, shop.id)).toBeUndefined();
    const { inboxIds } = await replayDeadLetters(database().sql, { selection: { shopId: shop.id }, requestedBy: "staff@example.com" });
    expect(inboxIds).toHaveLength(5);
    await replayDeadLetters(database().sql, { selection: { shopId: other.id }, requestedBy: "someone@else.example" });
    const [a, b, c, d] = inboxIds;
    await database().sql.query(`UPDATE webhook_inbox SET state = 'processed', processed_at = now() WHERE id = ANY($1::bigint[])`, [[a, b]]);
    await database().sql.query(`DELETE FROM webhook_inbox WHERE id = $1::bigint`, [c]);
    await database().sql.query(`UPDATE webhook_inbox SET state = 'dead', dead_at = now() WHERE id = $1::bigint`, [d]);
    expect(await getReplayProgress(database().sql, shop.id)).toMatchObject({ requestedBy: "staff@example.com", total: 5, applied: 3, dead: 1, waiting: 1 });
  });
});
