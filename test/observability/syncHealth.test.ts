import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { type AppContext, closeAppContext, createAppContext } from "../../app/context.server";
import { createAdminServices } from "../../app/http/remixAdapter.server";
import { getSyncHealth } from "../../app/observability/syncHealth.server";
import { loader } from "../../app/routes/app._index";
import { installShop } from "../../app/shops/shops.server";
import { bigCommerceStaffCookie } from "../../app/staff/bigCommerceStaff.server";
import { useTestDatabase } from "../helpers/database";
import { STANDALONE_ENV } from "../helpers/server";

const db = useTestDatabase();
const NOW = new Date("2026-11-30T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** An inbox row of `shopId` received `receivedAgoMs` before NOW, answered after `answerMs`, applied after `appliedMs`. */
async function delivery(shopId: string, row: { receivedAgoMs: number; answerMs: number; appliedMs?: number; state: "pending" | "processed" | "dead"; failures?: number }) {
  const received = ago(row.receivedAgoMs);
  const [inserted] = await db().sql.query<{ id: string }>(
    `INSERT INTO webhook_inbox (platform, shop_id, topic, delivery_id, payload, state, attempts, received_at, stored_at, processed_at, dead_at)
     VALUES ('bigcommerce', $1::uuid, 'store/product/updated', gen_random_uuid()::text, '{}', $2::"WebhookState", $3, $4, $5, $6, $7) RETURNING id::text`,
    [
      shopId,
      row.state,
      row.failures ?? 0,
      received,
      new Date(received.getTime() + row.answerMs),
      row.appliedMs === undefined ? null : new Date(received.getTime() + row.appliedMs),
      row.state === "dead" ? NOW : null,
    ],
  );
  for (let attempt = 1; attempt <= (row.failures ?? 0); attempt += 1) {
    await db().sql.query(`INSERT INTO webhook_attempt (inbox_id, attempt, worker_id, error, failed_at) VALUES ($1, $2, 'w', 'boom', $3)`, [inserted!.id, attempt, ago(1000)]);
  }
}

let quiet: string;
let busy: string;
beforeAll(async () => {
  quiet = (await installShop(db().prisma, { platform: "bigcommerce", domain: "stores/quiet" })).id;
  busy = (await installShop(db().prisma, { platform: "bigcommerce", domain: "stores/busy" })).id;
  await delivery(quiet, { receivedAgoMs: 60_000, answerMs: 4, appliedMs: 40, state: "processed" });
  await delivery(quiet, { receivedAgoMs: 30_000, answerMs: 6, appliedMs: 60, state: "processed" });
  // The busy shop: slow answers, a backlog 5 minutes old, two dead letters with their failed attempts.
  for (let i = 0; i < 10; i += 1) await delivery(busy, { receivedAgoMs: 120_000, answerMs: 4_000, appliedMs: 9_000, state: "processed" });
  await delivery(busy, { receivedAgoMs: 300_000, answerMs: 3, state: "pending" });
  await delivery(busy, { receivedAgoMs: 200_000, answerMs: 3, state: "dead", failures: 3 });
  await delivery(busy, { receivedAgoMs: 200_000, answerMs: 3, state: "dead", failures: 3 });
  // Received two hours ago: outside the window, still the quiet shop's.
  await delivery(quiet, { receivedAgoMs: 2 * 3_600_000, answerMs: 9_999, appliedMs: 99_999, state: "processed" });
});

describe("getSyncHealth", () => {
  it("shows one shop only its own inbox, dead letters and latencies", async () => {
    const health = await getSyncHealth(db().sql, quiet, NOW);
    expect(health.status).toBe("healthy");
    expect(health.inbox).toEqual({ unprocessed: 0, oldestAgeSeconds: 0, deadLetters: 0 });
    expect(health.webhooks).toMatchObject({ received: 2, processed: 2, failedAttempts: 0 });
    expect(health.webhooks!.answerLatency).toMatchObject({ p50: 5, count: 2 });
    expect(health.webhooks!.endToEndLatency.p99).toBeLessThanOrEqual(60);
  });

  it("tells the busy shop why it is degraded, from its own rows", async () => {
    const health = await getSyncHealth(db().sql, busy, NOW);
    expect(health.status).toBe("degraded");
    expect(health.inbox).toEqual({ unprocessed: 1, oldestAgeSeconds: 300, deadLetters: 2 });
    expect(health.webhooks).toMatchObject({ received: 13, processed: 10, failedAttempts: 6 });
    expect(health.reasons.join(" ")).toMatch(/oldest unprocessed webhook waits for 300 s/);
    expect(health.reasons.join(" ")).toMatch(/2 webhook event\(s\) failed every attempt/);
    expect(health.reasons.join(" ")).toMatch(/Webhook answers are slow: p99 4000 ms/);
    expect(health.reasons.join(" ")).toMatch(/Changes take long to apply/);
  });

  it("is failing when the database does not answer", async () => {
    const down = { query: () => Promise.reject(new Error("Connection terminated unexpectedly")) };
    const health = await getSyncHealth(down, quiet, NOW);
    expect(health.status).toBe("failing");
    expect(health.inbox).toBeNull();
  });
});

describe("the dashboard loader", () => {
  const config = loadConfig({ ...STANDALONE_ENV, BIGCOMMERCE_CLIENT_ID: "bc-client", BIGCOMMERCE_CLIENT_SECRET: "bc-secret-for-the-dashboard" });
  let context: AppContext;
  beforeAll(() => {
    context = createAppContext(config, db());
  });
  afterAll(() => closeAppContext(context));

  async function dashboardOf(shopId: string) {
    const cookie = (await bigCommerceStaffCookie(config, { shopId, userId: "7" })).split(";")[0]!;
    const request = new Request("http://lockstep.test/app", { headers: { cookie } });
    const dashboard = await loader({ request, params: {}, context: { ...context, ...createAdminServices(context), clientAddress: "127.0.0.1" } });
    // The parts streamed after the first screen are settled here, before the database closes.
    await Promise.all([dashboard.details, dashboard.health, dashboard.catalog, dashboard.backfillProgress]);
    return dashboard;
  }

  it("gives each shop's staff their own sync health, never another shop's", async () => {
    const quietDashboard = await dashboardOf(quiet);
    const busyDashboard = await dashboardOf(busy);
    expect(quietDashboard.shop.domain).toBe("stores/quiet");
    // The health figures stream in after the first screen: the loader hands them over as a promise.
    const quietHealth = await quietDashboard.health;
    expect(quietHealth.inbox).toEqual({ unprocessed: 0, oldestAgeSeconds: expect.any(Number), deadLetters: 0 });
    expect(quietHealth.webhooks).toMatchObject({ failedAttempts: 0 });
    expect((await busyDashboard.health).inbox).toMatchObject({ unprocessed: 1, deadLetters: 2 });
  });
});
