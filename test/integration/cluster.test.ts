import { randomUUID } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installShop } from "../../app/shops/shops.server";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { startProcess, type Started } from "../helpers/process";
import { STANDALONE_ENV } from "../helpers/server";
import { freePort } from "../helpers/net";

// `npm run cluster`: web processes behind one port and worker processes on one PostgreSQL.
let db: TestDatabase;
let cluster: Started;
let baseUrl: string;
const DOMAIN = "cluster.myshopify.com";

/** GET on a fresh connection each time, so the cluster's primary hands it to its next web process. */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 10_000 }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .once("timeout", function (this: http.ClientRequest) {
        this.destroy(new Error(`no answer from ${url} within 10 s`));
      })
      .once("error", reject);
  });
}

async function count(text: string): Promise<number> {
  const rows = await db.sql.query<{ n: number }>(text);
  return rows[0]!.n;
}

async function sendOrders(total: number, firstId: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < total; i += 1) {
    const delivery = signShopifyDelivery({
      secret: STANDALONE_ENV.SHOPIFY_API_SECRET,
      shopDomain: DOMAIN,
      topic: "orders/create",
      eventId: randomUUID(),
      payload: shopifyPayload("orders/create", { id: firstId + i }),
    });
    const response = await fetch(`${baseUrl}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: delivery.body });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  await installShop(db.prisma, { platform: "shopify", domain: DOMAIN });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  cluster = startProcess("scripts/cluster.ts", ["--web", "2", "--workers", "1"], {
    ...STANDALONE_ENV,
    PORT: String(port),
    DATABASE_URL: db.url!,
    LOCKSTEP_DEMO_TRAFFIC: "off",
    LOCKSTEP_WEBHOOK_POLL_MS: "100",
  });
  await cluster.waitFor(/listening on[\s\S]*listening on/, 120_000);
  await cluster.waitFor(/webhook worker loop/, 120_000);
}, 180_000);

afterAll(async () => {
  if (cluster) expect(await cluster.stop("SIGTERM")).toBe(0);
  await db?.close();
}, 60_000);

describe("npm run cluster", { timeout: 120_000 }, () => {
  it("serves one port from every web process, and the worker process applies what they stored", async () => {
    const answeredBy = new Set<number>();
    // The kernel picks the process for each connection: enough of them reach both.
    for (let i = 0; i < 200 && answeredBy.size < 2; i += 1) {
      const health = await getFresh(`${baseUrl}/healthz`);
      expect(health.status).toBe(200);
      answeredBy.add((JSON.parse(health.body) as { pid: number }).pid);
    }
    expect(answeredBy.size).toBe(2);

    const statuses = await sendOrders(30, 5_000_000);
    expect(statuses.every((status) => status === 200)).toBe(true);
    await expect
      .poll(() => count(`SELECT count(*)::int AS n FROM platform_order WHERE external_id LIKE 'gid://shopify/Order/50000%'`), { timeout: 60_000, interval: 100 })
      .toBe(30);
    // The web processes apply nothing (LOCKSTEP_WEBHOOK_WORKERS=0): every row was leased by the worker process.
    const lessees = await db.sql.query<{ pid: string }>(`SELECT DISTINCT split_part(locked_by, ':', 2) AS pid FROM webhook_inbox`);
    expect(lessees).toHaveLength(1);
    expect(answeredBy.has(Number(lessees[0]!.pid))).toBe(false);
  });

  it("a web process killed outright is replaced, and the port keeps answering meanwhile", async () => {
    const first = JSON.parse((await getFresh(`${baseUrl}/healthz`)).body) as { pid: number };
    process.kill(first.pid, "SIGKILL");
    // The survivor answers every request while the replacement starts.
    for (let i = 0; i < 6; i += 1) expect((await getFresh(`${baseUrl}/healthz`)).status).toBe(200);
    await cluster.waitFor(new RegExp(`web process ${first.pid} ended`), 10_000);
    const pids = new Set<number>();
    await expect
      .poll(
        async () => {
          pids.add((JSON.parse((await getFresh(`${baseUrl}/healthz`)).body) as { pid: number }).pid);
          return [...pids].filter((pid) => pid !== first.pid).length;
        },
        { timeout: 90_000, interval: 100 },
      )
      .toBe(2);
    expect(pids.has(first.pid)).toBe(false);
    expect(await sendOrders(4, 6_000_000)).toEqual([200, 200, 200, 200]);
  });
});
