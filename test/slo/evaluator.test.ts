import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcessMetrics } from "../../app/observability/metrics.server";
import { publishOnce } from "../../app/observability/processMetrics.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { evaluateShop, objectiveViews, startSloEvaluator } from "../../app/slo/evaluator.server";
import { deliverNotifications } from "../../app/slo/notify.server";
import { nextObjectiveState } from "../../app/slo/objectives";
import { getSloPolicy, saveSloPolicy } from "../../app/slo/policy.server";
import { listIncidents } from "../../app/slo/sql/sloRows";
import { installShop } from "../../app/shops/shops.server";
import { useTestDatabase } from "../helpers/database";

const database = useTestDatabase();
const KEY = "an-encryption-key-for-tests-0123456789";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const registry = createLimiterRegistry();
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let answer = 200;
let receiver: http.Server;
let receiverUrl = "";

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answer, { "content-type": "text/plain" });
      res.end(answer === 200 ? "ok" : "down");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  await registry.close();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
});

async function newShop(name: string) {
  return installShop(database().prisma, { platform: "shopify", domain: `${name}-${randomUUID().slice(0, 6)}.myshopify.com` });
}

/** Inventory changes applied `ms` after they happened, in the minute of `at`. */
async function inventoryLatency(shopId: string, ms: number, at: Date) {
  const metrics = createProcessMetrics(new Registry());
  for (let i = 0; i < 20; i++) metrics.recordSyncLatency({ shopId, domain: "inventory", stage: "applied", occurredAt: new Date(at.getTime() - ms), at });
  await publishOnce({ db: database() }, metrics, at);
}

const minutes = (start: Date, n: number) => new Date(start.getTime() + n * 60_000);

describe("damping", () => {
  it("opens after two breaching evaluations in a row, resolves after three healthy ones; a wobble opens nothing", () => {
    let state = { breached: false, streak: 0 };
    const step = (value: number | null) => (state = nextObjectiveState(state, value, 2000));
    expect(step(3000)).toMatchObject({ breached: false, opened: false });
    expect(step(100)).toMatchObject({ breached: false, streak: 0 });
    expect(step(3000)).toMatchObject({ opened: false });
    expect(step(3000)).toMatchObject({ breached: true, opened: true });
    expect(step(null)).toMatchObject({ breached: true, opened: false, resolved: false });
    expect(step(100)).toMatchObject({ breached: true, resolved: false });
    expect(step(3000)).toMatchObject({ breached: true, streak: 0 });
    step(100);
    step(100);
    expect(step(100)).toMatchObject({ breached: false, resolved: true });
  });
});

describe("objectives", () => {
  it("a breach opens one incident and notifies once, signed; recovery resolves it once and notifies", async () => {
    const shop = await newShop("slo");
    await saveSloPolicy(database().sql, KEY, shop.id, { notifyUrl: receiverUrl, notifySecret: SECRET });
    const start = new Date("2026-12-02T10:00:30Z");
    for (let i = 0; i < 4; i++) await inventoryLatency(shop.id, 3_500, minutes(start, i));

    expect((await evaluateShop(database().sql, shop.id, minutes(start, 0))).opened).toEqual([]);
    const second = await evaluateShop(database().sql, shop.id, minutes(start, 1));
    expect(second.opened).toEqual([{ shopId: shop.id, objective: "inventory_latency_p95_ms", incidentId: expect.any(String) }]);
    expect((await evaluateShop(database().sql, shop.id, minutes(start, 2))).opened).toEqual([]);
    expect((await listIncidents(database().sql, shop.id, { openOnly: true })).map((incident) => incident.objective)).toEqual(["inventory_latency_p95_ms"]);
    expect((await objectiveViews(database().sql, shop.id)).find((view) => view.key === "inventory_latency_p95_ms")).toMatchObject({ status: "breached", threshold: 2000 });

    // Signed with the real clock: receivers reject old timestamps.
    const deps = { sql: database().sql, encryptionKey: KEY, registry, now: () => new Date() };
    expect(await deliverNotifications(deps)).toEqual({ sent: 1, failed: 0 });
    expect(await deliverNotifications(deps)).toEqual({ sent: 0, failed: 0 });
    const opened = received.at(-1)!;
    const payload = new Webhook(SECRET).verify(opened.body, {
      "webhook-id": String(opened.headers["webhook-id"]),
      "webhook-timestamp": String(opened.headers["webhook-timestamp"]),
      "webhook-signature": String(opened.headers["webhook-signature"]),
    }) as { type: string; text: string; incident: { objective: string } };
    expect(payload).toMatchObject({ type: "slo.incident.opened", incident: { objective: "inventory_latency_p95_ms" } });
    expect(payload.text).toContain("breached");

    // Healthy minutes: the latency window (5 min) moves past the slow ones; three evaluations resolve.
    const later = minutes(start, 10);
    for (let i = 0; i < 4; i++) await inventoryLatency(shop.id, 20, minutes(later, i));
    const resolved = [];
    for (let i = 0; i < 4; i++) resolved.push(...(await evaluateShop(database().sql, shop.id, minutes(later, i))).resolved);
    expect(resolved.map((incident) => incident.objective)).toEqual(["inventory_latency_p95_ms"]);
    expect(await listIncidents(database().sql, shop.id, { openOnly: true })).toEqual([]);
    expect(await deliverNotifications(deps)).toEqual({ sent: 1, failed: 0 });
    expect(JSON.parse(received.at(-1)!.body)).toMatchObject({ type: "slo.incident.resolved" });
    expect((await objectiveViews(database().sql, shop.id)).find((view) => view.key === "inventory_latency_p95_ms")?.status).toBe("within");
  });

  it("keeps a notification the receiver refused and sends it on a later pass", async () => {
    const shop = await newShop("slo-refused");
    await saveSloPolicy(database().sql, KEY, shop.id, { notifyUrl: receiverUrl, notifySecret: SECRET, objectives: { consumer_lag: 1 } });
    await database().sql.query(
      `INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, payload, received_at) VALUES ('shopify', $1, 'orders/create', 'a', '{}', now()), ('shopify', $1, 'orders/create', 'b', '{}', now())`,
      [shop.id],
    );
    const at = new Date();
    await evaluateShop(database().sql, shop.id, at);
    expect((await evaluateShop(database().sql, shop.id, at)).opened.map((incident) => incident.objective)).toEqual(["consumer_lag"]);
    answer = 400;
    const deps = { sql: database().sql, encryptionKey: KEY, registry, now: () => at };
    expect(await deliverNotifications(deps)).toMatchObject({ failed: 1 });
    const [owed] = await database().sql.query<{ attempts: number; sent_at: Date | null; last_error: string }>(`SELECT attempts, sent_at, last_error FROM slo_notification WHERE shop_id = $1`, [shop.id]);
    expect(owed).toMatchObject({ attempts: 1, sent_at: null, last_error: expect.stringContaining("400") });
    answer = 200;
    expect(await deliverNotifications(deps)).toMatchObject({ sent: 1 });
  });

  it("refuses a bad policy with a clear error and changes nothing", async () => {
    const shop = await newShop("slo-policy");
    await expect(saveSloPolicy(database().sql, KEY, shop.id, { objectives: { consumer_lag: -5 } })).rejects.toMatchObject({ code: "invalid_slo_policy", status: 400 });
    await expect(saveSloPolicy(database().sql, KEY, shop.id, { notifyUrl: "ftp://x" })).rejects.toMatchObject({ code: "invalid_slo_policy" });
    await expect(saveSloPolicy(database().sql, KEY, shop.id, { notifyUrl: receiverUrl })).rejects.toMatchObject({ code: "invalid_slo_policy" });
    expect(await getSloPolicy(database().sql, shop.id)).toMatchObject({ notifyUrl: null, overrides: {} });
    const { before, after } = await saveSloPolicy(database().sql, KEY, shop.id, { objectives: { consumer_lag: 50 } });
    expect(before.thresholds.consumer_lag).toBe(1000);
    expect(after.thresholds.consumer_lag).toBe(50);
  });

  it("one evaluator across processes: only the lease holder evaluates, another takes over when it stops", async () => {
    const one = startSloEvaluator({ sql: database().sql, encryptionKey: KEY, registry, everyMs: 60_000, owner: "process-one" });
    const two = startSloEvaluator({ sql: database().sql, encryptionKey: KEY, registry, everyMs: 60_000, owner: "process-two" });
    expect(await one.tick()).toBe(true);
    expect(await two.tick()).toBe(false);
    expect(await one.tick()).toBe(true);
    await one.stop();
    expect(await two.tick()).toBe(true);
    await two.stop();
  });
});
