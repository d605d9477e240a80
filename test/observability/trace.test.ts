import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { requestRun } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import { DEMO_SHOP_DOMAIN, demoInventoryItemId } from "../../app/demo/seed.server";
import { traceEvent } from "../../app/observability/trace.server";
import { findShopByDomain, installShop } from "../../app/shops/shops.server";
import { processDueRows } from "../../app/webhooks/workerLoop.server";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { createTestDestination, memoryReceiver, pipelineDeps } from "../batching/pipelineFixture";
import { BROWSER_HEADERS, STANDALONE_ENV, useDemoAdmin } from "../helpers/server";

// One webhook followed end to end by its delivery id (the correlation id): inbox row → change
// record → destination run → run item and the request that carried it, and on the Trace page.

const { server, cookie } = useDemoAdmin();
const receiver = memoryReceiver();
let shopId = "";
let destinationId = "";
const SPORK_ITEM = demoInventoryItemId(8010);

async function deliver(deliveryId: string, available: number, updatedAt: Date, domain = DEMO_SHOP_DOMAIN): Promise<void> {
  const topic = "inventory_levels/update";
  const delivery = signShopifyDelivery({
    secret: STANDALONE_ENV.SHOPIFY_API_SECRET,
    shopDomain: domain,
    topic,
    webhookId: deliveryId,
    payload: shopifyPayload(topic, { inventory_item_id: SPORK_ITEM, location_id: 9001, available, updated_at: updatedAt.toISOString() }),
  });
  const response = await fetch(`${server().url}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: delivery.body });
  expect(response.status).toBe(200);
}

/** Applies every stored delivery the way the worker does (bounded). */
async function drainInbox(): Promise<void> {
  const { db, webhooks } = server().context;
  for (let round = 0; round < 20; round++) {
    if ((await processDueRows({ sql: db.sql, workerId: "trace-test", metrics: webhooks.metrics, maxAttempts: 3, leaseMs: 30_000 })) === 0) return;
  }
  throw new Error("the inbox did not drain");
}

async function runDestination(): Promise<string> {
  const { db } = server().context;
  await requestRun(db.sql, shopId, destinationId, "sync_now");
  const outcome = await runDueDestination(pipelineDeps(db, receiver.adapter, { now: new Date() }), destinationId);
  expect(outcome).toBeDefined();
  const [run] = await db.sql.query<{ id: string; status: string }>(`SELECT id::text, status FROM destination_run WHERE destination_id = $1 ORDER BY id DESC LIMIT 1`, [destinationId]);
  expect(run!.status).toBe("succeeded");
  return run!.id;
}

const page = async (q: string) => (await fetch(`${server().url}/app/trace?q=${encodeURIComponent(q)}`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } })).text();

beforeAll(async () => {
  const { db } = server().context;
  shopId = (await findShopByDomain(db.prisma, "shopify", DEMO_SHOP_DOMAIN))!.id;
  destinationId = (await createTestDestination(db, receiver.adapter, shopId, { name: "Trace ERP", receives: ["stock"] })).id;
});

describe("a webhook's correlation id", () => {
  it("is found on every hop: inbox row, change record, run item and the request that carried it, and the Trace page shows the chain", async () => {
    const { db } = server().context;
    const deliveryId = `trace-${randomUUID()}`;
    await deliver(deliveryId, 77, new Date(Date.now() + 60_000));
    await drainInbox();
    const runId = await runDestination();

    const [inbox] = await db.sql.query<{ id: string; state: string }>(`SELECT id::text, state::text FROM webhook_inbox WHERE shop_id = $1 AND delivery_id = $2`, [shopId, deliveryId]);
    expect(inbox!.state).toBe("processed");
    const changes = await db.sql.query<{ id: string; kind: string; sku: string }>(
      `SELECT c.id::text, c.kind, v.sku FROM change_record c JOIN variant v ON v.id = c.variant_id WHERE c.shop_id = $1 AND c.correlation_id = $2`,
      [shopId, deliveryId],
    );
    expect(changes).toEqual([{ id: expect.any(String), kind: "stock", sku: "SPORK-TI" }]);
    const [item] = await db.sql.query<{ outcome: string; change_id: string; batch_id: string }>(`SELECT outcome, change_id::text, batch_id FROM run_item WHERE run_id = $1::bigint AND sku = 'SPORK-TI'`, [runId]);
    expect(item).toMatchObject({ outcome: "accepted", change_id: changes[0]!.id });
    expect(item!.batch_id).toMatch(/^[0-9a-f]{64}$/);
    expect(receiver.held.get("stock:SPORK-TI")).toBeDefined();

    const steps = await traceEvent(db.sql, shopId, deliveryId);
    expect(steps.map((step) => step.stage)).toEqual(["received", "stored", "applied", "captured", "sent"]);
    expect(steps[0]!.subject).toContain(`delivery ${deliveryId}`);
    expect(steps[0]!.detail).toBe(`inbox row #${inbox!.id}`);
    expect(steps[3]).toMatchObject({ subject: `stock change #${changes[0]!.id} · SPORK-TI`, detail: expect.stringContaining(`from webhook delivery ${deliveryId}`) });
    expect(steps[4]).toMatchObject({ subject: `Trace ERP · run #${runId}`, link: `/app/runs?destination=${destinationId}&run=${runId}` });
    expect(steps[4]!.detail).toContain(`stock SPORK-TI, change #${changes[0]!.id}: accepted · request ${item!.batch_id.slice(0, 16)}`);

    const html = await page(deliveryId);
    expect(html).toContain(`inbox row #${inbox!.id}`);
    expect(html).toContain(`stock change #${changes[0]!.id} · SPORK-TI`);
    expect(html).toContain(`href="/app/runs?destination=${destinationId}&amp;run=${runId}"`);
    expect(html).toContain(`request ${item!.batch_id.slice(0, 16)}`);
  });

  it("follows a change coalesced with a later one into the run item that carried both, and still once its inbox row is purged", async () => {
    const { db } = server().context;
    const first = `trace-${randomUUID()}`;
    const second = `trace-${randomUUID()}`;
    // Applied one after the other (one batch would keep only the newest), sent in one run.
    await deliver(first, 50, new Date(Date.now() + 120_000));
    await drainInbox();
    await deliver(second, 49, new Date(Date.now() + 180_000));
    await drainInbox();
    const runId = await runDestination();
    const [newest] = await db.sql.query<{ id: string }>(`SELECT id::text FROM change_record WHERE correlation_id = $1`, [second]);
    const [older] = await db.sql.query<{ id: string }>(`SELECT id::text FROM change_record WHERE correlation_id = $1`, [first]);
    await db.sql.query(`DELETE FROM webhook_inbox WHERE delivery_id = $1`, [first]);

    const steps = await traceEvent(db.sql, shopId, first);
    expect(steps.map((step) => step.stage)).toEqual(["captured", "sent"]);
    expect(steps[1]).toMatchObject({ subject: `Trace ERP · run #${runId}` });
    expect(steps[1]!.detail).toContain(`change #${older!.id} (coalesced into #${newest!.id}): accepted`);
  });

  it("is one shop's: another shop's staff find nothing of it, and a delivery id of another shop shows nothing here", async () => {
    const { db } = server().context;
    const other = await installShop(db.prisma, { platform: "shopify", domain: "trace-other.myshopify.com" });
    const deliveryId = `trace-${randomUUID()}`;
    await deliver(deliveryId, 12, new Date(Date.now() + 240_000));
    await drainInbox();
    expect(await traceEvent(db.sql, other.id, deliveryId)).toEqual([]);

    const theirs = `trace-${randomUUID()}`;
    await db.sql.query(
      `INSERT INTO change_record (shop_id, variant_id, kind, source_version, occurred_at, source, correlation_id)
       SELECT $1, id, 'stock', now(), now(), 'webhook', $2 FROM variant WHERE shop_id = $3 LIMIT 1`,
      [other.id, theirs, shopId],
    );
    expect(await traceEvent(db.sql, shopId, theirs)).toEqual([]);
    expect(await page(theirs)).toContain("Nothing of this shop carries");
  });
});
