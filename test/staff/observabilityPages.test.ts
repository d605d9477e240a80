import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { getAuditRetention, listAudit, recordAudit } from "../../app/audit/audit.server";
import { DEMO_SHOP_DOMAIN } from "../../app/demo/seed.server";
import { findShopByDomain, installShop } from "../../app/shops/shops.server";
import { openIncident } from "../../app/slo/sql/sloRows";
import { BROWSER_HEADERS, useDemoAdmin } from "../helpers/server";

const { server, cookie } = useDemoAdmin();
const TOKEN = "erp-token-that-must-never-show";
let ours = "";
let theirs = "";
let ourDestination = "";
let theirDestination = "";
let orderDesk = "";
let runningRun = "";
let variantsOfOurs = 0;

async function destination(shopId: string, name: string): Promise<string> {
  const [row] = await server().context.db.sql.query<{ id: string }>(
    `INSERT INTO destination (id, shop_id, name, kind, endpoint, credentials_sealed, signing_secret_sealed, receives, mode)
     VALUES (gen_random_uuid(), $1, $2, 'erp_http', 'https://erp.example', 'SEALED-CREDENTIAL-BLOB', 'x', '{stock}', 'live') RETURNING id`,
    [shopId, name],
  );
  const [run] = await server().context.db.sql.query<{ id: string }>(
    `INSERT INTO destination_run (destination_id, shop_id, reason, status, mode, watermark_from, watermark_to, sent, rejected, finished_at)
     VALUES ($1, $2, 'schedule', 'succeeded', 'live', 0, 1, 2, 1, now()) RETURNING id::text`,
    [row!.id, shopId],
  );
  await server().context.db.sql.query(
    `INSERT INTO run_item (run_id, destination_id, kind, variant_id, sku, outcome, reason, version, change_id, state)
     VALUES ($1::bigint, $2, 'stock', $3, $4, 'rejected', $5, now(), 1, '{}')`,
    [run!.id, row!.id, randomUUID(), `${name}-SKU`, `${name} refused this item`],
  );
  return row!.id;
}

const get = (path: string) => fetch(`${server().url}${path}`, { headers: { ...BROWSER_HEADERS, cookie: cookie() } });
const post = (path: string, fields: Record<string, string>) =>
  fetch(`${server().url}${path}`, { method: "POST", headers: { ...BROWSER_HEADERS, cookie: cookie(), "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });

beforeAll(async () => {
  const { db } = server().context;
  ours = (await findShopByDomain(db.prisma, "shopify", DEMO_SHOP_DOMAIN))!.id;
  theirs = (await installShop(db.prisma, { platform: "shopify", domain: "someone-else.myshopify.com" })).id;
  ourDestination = await destination(ours, "Our ERP");
  theirDestination = await destination(theirs, "Their ERP");
  await openIncident(db.sql, { shopId: ours, objective: "consumer_lag", threshold: 1000, value: 4321, at: new Date() });
  await openIncident(db.sql, { shopId: theirs, objective: "orders_latency_p95_ms", threshold: 2000, value: 9876, at: new Date() });
  await recordAudit(db.sql, { shopId: theirs, actor: "their-staff@example.com", action: "settings.update", after: {} });
  // An order desk receiving orders, with a full run under way and two order events undelivered.
  const [desk] = await db.sql.query<{ id: string }>(
    `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives, mode)
     VALUES (gen_random_uuid(), $1, 'Order desk', 'erp_http', 'https://desk.example', 'x', '{stock,orders}', 'live') RETURNING id`,
    [ours],
  );
  orderDesk = desk!.id;
  await db.sql.query(
    `INSERT INTO destination_event (destination_id, shop_id, order_key, event_type, event, created_at)
     SELECT $1, $2, 'gid://shopify/Order/' || n, 'OrderCreated', '{}', now() - interval '90 seconds' FROM generate_series(1, 2) n`,
    [orderDesk, ours],
  );
  const [running] = await db.sql.query<{ id: string }>(
    `INSERT INTO destination_run (destination_id, shop_id, reason, status, mode, watermark_from, watermark_to, started_at)
     VALUES ($1, $2, 'full', 'running', 'live', 0, 0, now() - interval '30 seconds') RETURNING id::text`,
    [orderDesk, ours],
  );
  runningRun = running!.id;
  await db.sql.query(
    `INSERT INTO run_item (run_id, destination_id, kind, variant_id, sku, outcome, version, change_id, state)
     SELECT $1::bigint, $2, 'stock', id, sku, 'accepted', now(), 0, '{}' FROM variant WHERE shop_id = $3 ORDER BY id LIMIT 3`,
    [runningRun, orderDesk, ours],
  );
  variantsOfOurs = (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM variant WHERE shop_id = $1`, [ours]))[0]!.n;
  // Holds: one active for 2 minutes, one committed and one expired within the hour; another shop's active one.
  const hold = (shopId: string, status: string, ended: boolean) =>
    db.sql.query(
      `INSERT INTO reservation (id, shop_id, key, status, holds, expires_at, created_at, committed_at, released_at)
       VALUES (gen_random_uuid(), $1, gen_random_uuid()::text, $2::"ReservationStatus", '[{"v":"x","s":"all","q":4}]', now() + interval '5 minutes', now() - interval '2 minutes',
               CASE WHEN $2 = 'committed' THEN now() END, CASE WHEN $3 AND $2 <> 'committed' THEN now() END)`,
      [shopId, status, ended],
    );
  await hold(ours, "active", false);
  await hold(ours, "committed", true);
  await hold(ours, "expired", true);
  await hold(theirs, "active", false);
  await hold(theirs, "active", false);
});

describe("dashboard", () => {
  it("shows this shop's objectives, incidents and last runs, never another shop's", async () => {
    const html = await (await get("/app?range=day")).text();
    expect(html).toContain("Objectives");
    expect(html).toContain("4321");
    expect(html).not.toContain("9876");
    expect(html).toContain("Our ERP");
    expect(html).not.toContain("Their ERP");
  });

  it("shows order fan-out lag and this shop's reservations (held, oldest hold, committed, expired), never another shop's", async () => {
    const html = await (await get("/app?range=hour")).text();
    expect(html).toContain("Order events for Order desk");
    expect(html).toMatch(/Order events for Order desk<\/th><td[^>]*>2<\/td><td[^>]*>9\d s<\/td><td[^>]*>0<\/td>/);
    const figure = (name: string) => new RegExp(`id="reservations-${name}"[^>]*>([^<]*)<`).exec(html)?.[1];
    expect(figure("held")).toBe("1");
    expect(figure("units")).toBe("4");
    expect(Number(figure("oldest")!.replace(" s", ""))).toBeGreaterThanOrEqual(120);
    expect(figure("committed")).toBe("1");
    expect(figure("released")).toBe("0");
    expect(figure("expired")).toBe("1");
  });

  it("shows a running catalog read's progress against the catalog already held", async () => {
    const { sql } = server().context.db;
    await sql.query(
      `INSERT INTO catalog_backfill (shop_id, state, variants, levels, started_at, updated_at) VALUES ($1, 'running', 5, 10, now() - interval '20 seconds', now())
       ON CONFLICT (shop_id) DO UPDATE SET state = 'running', variants = 5, levels = 10, started_at = now() - interval '20 seconds', finished_at = NULL`,
      [ours],
    );
    try {
      const html = await (await get("/app")).text();
      expect(html).toContain('data-progress="Reading the catalog"');
      expect(html).toMatch(new RegExp(`5 / ${variantsOfOurs} variants · started [^·]+ · about \\d+ s left`));
    } finally {
      await sql.query(`DELETE FROM catalog_backfill WHERE shop_id = $1`, [ours]);
    }
  });
});

describe("connections", () => {
  it("lists this shop's connections without their credentials; another shop's cannot be acted on", async () => {
    const html = await (await get("/app/connections")).text();
    expect(html).toContain("Our ERP");
    expect(html).toContain("credentials stored");
    expect(html).not.toContain("Their ERP");
    expect(html).not.toContain("SEALED-CREDENTIAL-BLOB");
    const refused = await post("/app/connections", { intent: "pause", id: theirDestination });
    expect(refused.status).toBe(404);
  });

  it("creates a connection in shadow mode, says what is wrong inline, and audits it without the token", async () => {
    const invalid = await post("/app/connections", { intent: "create", name: "", kind: "erp_http", endpoint: "https://erp.example/x", receives: "stock" });
    expect(invalid.status).toBe(400);
    const created = await post("/app/connections", { intent: "create", name: "New ERP", kind: "erp_http", endpoint: "https://erp.example/new", receives: "stock", token: TOKEN });
    expect(created.status).toBe(200);
    expect(await (await get("/app/connections")).text()).toContain("New ERP");
    const [entry] = await listAudit(server().context.db.sql, ours, { action: "destination.create" });
    expect(entry).toMatchObject({ actor: "standalone-admin" });
    expect(JSON.stringify(entry)).not.toContain(TOKEN);
  });
});

describe("runs", () => {
  it("shows the run's rejected items with reasons; another shop's destination id shows ours instead", async () => {
    const fallback = await (await get(`/app/runs?destination=${theirDestination}`)).text();
    expect(fallback).not.toContain("Their ERP");
    const html = await (await get(`/app/runs?destination=${ourDestination}`)).text();
    expect(html).toContain("Our ERP refused this item");
    expect(html).toContain("Roll back");
  });

  it("shows a running full run's progress: items done of every variant it sends", async () => {
    const html = await (await get(`/app/runs?destination=${orderDesk}`)).text();
    expect(html).toContain(`data-progress="Run #${runningRun} (full)"`);
    expect(html).toContain(`data-done="3" data-total="${variantsOfOurs}"`);
    expect(html).toMatch(new RegExp(`3 / ${variantsOfOurs} items · started [^·]+ · about \\d+ (s|min) left`));
  });

  it("rolls back only after confirmation, only this shop's runs, and audits it", async () => {
    const [run] = await server().context.db.sql.query<{ id: string }>(`SELECT id::text FROM destination_run WHERE destination_id = $1`, [ourDestination]);
    expect((await post("/app/runs", { intent: "rollback", destination: ourDestination, run: run!.id })).status).toBe(400);
    const [theirRun] = await server().context.db.sql.query<{ id: string }>(`SELECT id::text FROM destination_run WHERE destination_id = $1`, [theirDestination]);
    expect((await post("/app/runs", { intent: "rollback", destination: theirDestination, run: theirRun!.id, confirm: "yes" })).status).toBe(404);
    expect((await post("/app/runs", { intent: "rollback", destination: ourDestination, run: run!.id, confirm: "yes" })).status).toBe(200);
    const [requested] = await server().context.db.sql.query<{ requested_run: string }>(`SELECT requested_run FROM destination WHERE id = $1`, [ourDestination]);
    expect(requested!.requested_run).toBe(`rollback:${run!.id}`);
    expect((await listAudit(server().context.db.sql, ours, { action: "run.rollback" }))[0]).toMatchObject({ target: run!.id });
  });
});

describe("audit log", () => {
  it("lists this shop's staff actions, filterable, never another shop's", async () => {
    const html = await (await get("/app/audit?action=destination")).text();
    expect(html).toContain("destination.create");
    expect(html).not.toContain("their-staff@example.com");
    expect(await (await get("/app/audit?actor=their-staff")).text()).toContain("Nothing recorded yet");
  });

  it("sets this shop's own retention, validated inline, audited, and leaves other shops on the default", async () => {
    const { sql } = server().context.db;
    const refused = await post("/app/audit", { intent: "retention", days: "7" });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("between 30 and 3650 whole days");
    expect(await getAuditRetention(sql, ours, 365)).toEqual({ days: 365, isDefault: true });

    const saved = await post("/app/audit", { intent: "retention", days: "45" });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain("Entries are kept for 45 days.");
    expect(await getAuditRetention(sql, ours, 365)).toEqual({ days: 45, isDefault: false });
    expect(await getAuditRetention(sql, theirs, 365)).toEqual({ days: 365, isDefault: true });
    const [entry] = await listAudit(sql, ours, { action: "audit_retention.update" });
    expect(entry).toMatchObject({ actor: "standalone-admin", before: { days: 365, isDefault: true }, after: { days: 45, isDefault: false } });
    expect(await (await get("/app/audit")).text()).toMatch(/name="days"[^>]*value="45"|value="45"[^>]*name="days"/);
  });
});
