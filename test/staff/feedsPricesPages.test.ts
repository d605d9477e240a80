import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../app/audit/audit.server";
import type { Database } from "../../app/db/database.server";
import { DEMO_SHOP_DOMAIN } from "../../app/demo/seed.server";
import { issueFeedToken, tokenOpensFeed } from "../../app/feeds/google/tokens.server";
import { createSale, salesOf } from "../../app/prices/sales.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { findShopByDomain } from "../../app/shops/shops.server";
import { seedPriceShop } from "../prices/priceFixture";
import { BROWSER_HEADERS, useDemoAdmin } from "../helpers/server";

const { server, cookie } = useDemoAdmin();
let ours = "";
let theirs = "";
let ourFeed = "";
let theirFeed = "";
let ourToken = "";
let theirSale = "";

const get = (path: string) => fetch(`${server().url}${path}`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } });
const post = (path: string, fields: Record<string, string>) =>
  fetch(`${server().url}${path}`, { method: "POST", headers: { ...BROWSER_HEADERS, cookie: cookie(), "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });

/** A Google feed of the shop with a published snapshot and a run that rejected one item. */
async function feed(shopId: string, name: string): Promise<string> {
  const { sql } = server().context.db;
  const [row] = await sql.query<{ id: string }>(
    `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives, mode, options)
     VALUES (gen_random_uuid(), $1, $2, 'google_feed', 'https://shop.example', 'x', '{catalog}', 'live', '{"storeUrl":"https://shop.example"}') RETURNING id`,
    [shopId, name],
  );
  const [run] = await sql.query<{ id: string }>(
    `INSERT INTO destination_run (destination_id, shop_id, reason, status, mode, watermark_from, watermark_to, sent, rejected, finished_at)
     VALUES ($1, $2, 'schedule', 'partial', 'live', 0, 1, 3, 1, now()) RETURNING id::text`,
    [row!.id, shopId],
  );
  await sql.query(
    `INSERT INTO run_item (run_id, destination_id, kind, variant_id, sku, outcome, reason, version, change_id, state)
     VALUES ($1::bigint, $2, 'catalog', $3, $4, 'invalid', $5, now(), 1, '{}')`,
    [run!.id, row!.id, randomUUID(), `${name}-SKU`, `${name}: image_link missing`],
  );
  const [snapshot] = await sql.query<{ id: string }>(
    `INSERT INTO feed_snapshot (destination_id, run_id, status, items, ready_at) VALUES ($1, $2::bigint, 'published', 3, now()) RETURNING id::text`,
    [row!.id, run!.id],
  );
  await sql.query(`INSERT INTO feed (destination_id, current_snapshot_id, published_at, last_fetched_at) VALUES ($1, $2::bigint, now(), '2026-12-01T08:00:00Z')`, [row!.id, snapshot!.id]);
  return row!.id;
}

beforeAll(async () => {
  const { db } = server().context;
  ours = (await findShopByDomain(db.prisma, "shopify", DEMO_SHOP_DOMAIN))!.id;
  ourFeed = await feed(ours, "Our feed");
  ourToken = await issueFeedToken(db.sql, ourFeed);
  const other = await seedPriceShop({ sql: db.sql } as Database, { domain: "other-prices.myshopify.com" });
  theirs = other.shopId;
  theirFeed = await feed(theirs, "Their feed");
  await issueFeedToken(db.sql, theirFeed);
  const variants = await db.sql.query<{ id: string; sku: string }>(`SELECT id, sku FROM variant WHERE shop_id = $1 AND sku IN ('TENT-UL-2P', 'PACK-40-GRN')`, [ours]);
  await schedulePrices(db.sql, ours, variants.map((variant) => ({ variantId: variant.id, amount: "100.00", currency: "USD", validFrom: new Date("2026-01-01T00:00:00Z") })), { source: "seed", createdBy: "test" });
  await schedulePrices(db.sql, theirs, [{ variantId: other.variants.get("SKU-1")!, amount: "9.00", currency: "USD", validFrom: new Date("2026-01-01T00:00:00Z") }], { source: "seed", createdBy: "test" });
  const soon = Date.now() + 86_400_000;
  theirSale = (await createSale(db.sql, theirs, { name: "Their secret sale", skus: ["SKU-1"], kind: "amount", value: "1.00", startsAt: new Date(soon), endsAt: new Date(soon + 86_400_000), createdBy: "them" })).saleId;
});

describe("feeds page", () => {
  it("shows this shop's feed: URL, last fetch, snapshots, the last run's rejected items; another shop's feed id shows ours", async () => {
    const html = await (await get(`/app/feeds?feed=${theirFeed}`)).text();
    expect(html).toContain("Our feed");
    expect(html).toContain(`/feeds/${ourFeed}/{token}/products.xml`);
    expect(html).toContain("2026-12-01 08:00:00 UTC");
    expect(html).toContain("Our feed: image_link missing");
    expect(html).toContain("(served)");
    expect(html).not.toContain("Their feed");
  });

  it("rotates a token keeping the old one valid for the overlap, revokes, audits; another shop's feed and tokens are out of reach", async () => {
    const { sql } = server().context.db;
    expect((await post("/app/feeds", { intent: "rotate", feed: theirFeed, overlapHours: "24" })).status).toBe(404);
    expect((await post("/app/feeds", { intent: "rotate", feed: ourFeed, overlapHours: "5" })).status).toBe(400);
    const rotated = await post("/app/feeds", { intent: "rotate", feed: ourFeed, overlapHours: "1" });
    expect(rotated.status).toBe(200);
    const issued = /\/feeds\/[0-9a-f-]{36}\/([A-Za-z0-9_-]{43})\/products\.xml/.exec(await rotated.text());
    expect(issued).not.toBeNull();
    const now = new Date();
    expect(await tokenOpensFeed(sql, ourFeed, ourToken, now)).toBe(true);
    expect(await tokenOpensFeed(sql, ourFeed, ourToken, new Date(now.getTime() + 2 * 3_600_000))).toBe(false);
    expect(await tokenOpensFeed(sql, ourFeed, issued![1]!, new Date(now.getTime() + 2 * 3_600_000))).toBe(true);
    expect((await listAudit(sql, ours, { action: "feed_token.rotate" }))[0]).toMatchObject({ target: ourFeed, after: { overlapHours: 1 } });
    expect(JSON.stringify(await listAudit(sql, ours))).not.toContain(issued![1]!);

    const [theirToken] = await sql.query<{ id: string }>(`SELECT id::text FROM feed_token WHERE destination_id = $1`, [theirFeed]);
    expect((await post("/app/feeds", { intent: "revoke", feed: theirFeed, token: theirToken!.id })).status).toBe(404);
    expect((await post("/app/feeds", { intent: "revoke", feed: ourFeed, token: theirToken!.id })).status).toBe(409);
    const [oldToken] = await sql.query<{ id: string }>(`SELECT id::text FROM feed_token WHERE destination_id = $1 ORDER BY id LIMIT 1`, [ourFeed]);
    expect((await post("/app/feeds", { intent: "revoke", feed: ourFeed, token: oldToken!.id })).status).toBe(200);
    expect(await tokenOpensFeed(sql, ourFeed, ourToken, now)).toBe(false);
    expect((await listAudit(sql, ours, { action: "feed_token.revoke" }))[0]).toMatchObject({ target: ourFeed });
  });
});

describe("prices page", () => {
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 16);

  it("schedules a sale with inline errors, lists it as upcoming, edits and cancels it, and audits each step", async () => {
    const { sql } = server().context.db;
    const invalid = await post("/app/prices", { intent: "create", name: "Spring", skus: "TENT-UL-2P, NOPE-1", kind: "percent", value: "20", startsAt: inDays(2), endsAt: inDays(3) });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain("NOPE-1");
    const created = await post("/app/prices", { intent: "create", name: "Spring", skus: "TENT-UL-2P\nPACK-40-GRN", kind: "percent", value: "20", startsAt: inDays(2), endsAt: inDays(3) });
    expect(created.status).toBe(200);
    const html = await (await get("/app/prices?sku=TENT-UL-2P")).text();
    expect(html).toContain("Spring");
    expect(html).toContain("Upcoming sales");
    expect(html).toContain("80.00 USD");
    const [spring] = (await salesOf(sql, ours, new Date())).filter((sale) => sale.name === "Spring");
    expect((await post("/app/prices", { intent: "edit", sale: spring!.id, name: "Spring", skus: "TENT-UL-2P", kind: "amount", value: "70", startsAt: inDays(2), endsAt: inDays(4) })).status).toBe(200);
    expect((await salesOf(sql, ours, new Date())).find((sale) => sale.id === spring!.id)).toMatchObject({ kind: "amount", itemCount: 1 });
    expect((await post("/app/prices", { intent: "cancel", sale: spring!.id })).status).toBe(200);
    expect((await salesOf(sql, ours, new Date())).find((sale) => sale.id === spring!.id)).toMatchObject({ status: "cancelled" });
    const actions = (await listAudit(sql, ours, { action: "price_schedule" })).map((entry) => entry.action);
    expect(actions).toEqual(["price_schedule.cancel", "price_schedule.edit", "price_schedule.create"]);
  });

  it("never shows or acts on another shop's sales or price history", async () => {
    const html = await (await get(`/app/prices?edit=${theirSale}&sku=SKU-1`)).text();
    expect(html).not.toContain("Their secret sale");
    expect(html).toContain("No price recorded for SKU-1");
    expect((await post("/app/prices", { intent: "cancel", sale: theirSale })).status).toBe(404);
    expect((await post("/app/prices", { intent: "edit", sale: theirSale, name: "Mine now", skus: "TENT-UL-2P", kind: "amount", value: "1", startsAt: inDays(2), endsAt: inDays(3) })).status).toBe(404);
    expect((await salesOf(server().context.db.sql, theirs, new Date()))[0]).toMatchObject({ name: "Their secret sale", status: "upcoming" });
  });
});

describe("trace page", () => {
  it("shows an order's and a SKU's path (webhook, change, run result, order event) of this shop only", async () => {
    const { sql } = server().context.db;
    const order = "820982911946154508";
    const inbox = (shopId: string, delivery: string, topic: string, payload: string) =>
      sql.query(
        `INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, payload, state, attempts, received_at, processed_at)
         VALUES ('shopify', $1, $2, $3, $4, 'processed', 1, now() - interval '2 seconds', now())`,
        [shopId, topic, delivery, payload],
      );
    await inbox(ours, "our-delivery-1", "orders/create", `{"id":${order},"line_items":[{"sku":"TENT-UL-2P","quantity":1}]}`);
    await inbox(theirs, "their-delivery-1", "orders/create", `{"id":${order},"line_items":[{"sku":"SKU-1","quantity":1}]}`);
    const [variant] = await sql.query<{ id: string }>(`SELECT id FROM variant WHERE shop_id = $1 AND sku = 'TENT-UL-2P'`, [ours]);
    await sql.query(`INSERT INTO change_record (shop_id, variant_id, kind, source_version, occurred_at, source) VALUES ($1, $2, 'stock', now(), now(), 'webhook')`, [ours, variant!.id]);
    const [run] = await sql.query<{ id: string }>(`SELECT id::text FROM destination_run WHERE destination_id = $1`, [ourFeed]);
    await sql.query(
      `INSERT INTO run_item (run_id, destination_id, kind, variant_id, sku, outcome, reason, version, change_id, state) VALUES ($1::bigint, $2, 'stock', $3, 'TENT-UL-2P', 'accepted', NULL, now(), 7, '{}')`,
      [run!.id, ourFeed, variant!.id],
    );
    await sql.query(
      `INSERT INTO destination_event (destination_id, shop_id, order_key, event_type, event, state) VALUES ($1, $2, $3, 'OrderCreated', '{}', 'pending')`,
      [ourFeed, ours, `gid://shopify/Order/${order}`],
    );

    const byOrder = await (await get(`/app/trace?q=${order}`)).text();
    expect(byOrder).toContain("our-delivery-1");
    expect(byOrder).toContain("Our feed · OrderCreated");
    expect(byOrder).not.toContain("their-delivery-1");
    const bySku = await (await get("/app/trace?q=TENT-UL-2P")).text();
    expect(bySku).toContain("our-delivery-1");
    expect(bySku).toMatch(/stock change #\d+/);
    expect(bySku).toContain("stock TENT-UL-2P, change #7: accepted");
    expect(await (await get("/app/trace?q=SKU-1")).text()).toContain("Nothing of this shop carries SKU-1");
    expect(await (await get("/app/trace?q=their-delivery-1")).text()).toContain("Nothing of this shop carries their-delivery-1");
  });
});
