import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { issueApiToken } from "../../app/shops/shops.server";
import { type RunningLockstep, startLockstep } from "../../server/app";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from "../helpers/database";
import { startProcess, type Started } from "../helpers/process";
import { STANDALONE_ENV } from "../helpers/server";
import { seedStockShop, type StockShop } from "../reservations/stockFixture";

// A web process that stores webhooks but applies none (LOCKSTEP_WEBHOOK_WORKERS=0) and a separate
// `npm run worker` process on the same PostgreSQL: what the worker applies must have every effect
// the web process would have had (here: the order commits the cart's reservation).

let db: TestDatabase;
let web: RunningLockstep;
let worker: Started;
let shop: StockShop;
let token: string;

beforeAll(async () => {
  db = await createTestDatabase({ serverUrl: POSTGRES_URL });
  const env = { ...STANDALONE_ENV, LOCKSTEP_WEBHOOK_WORKERS: "0" };
  web = await startLockstep({
    config: loadConfig(env),
    db,
    buildDir: "/nonexistent",
    log: () => undefined,
    beforeListen: async () => {
      shop = await seedStockShop(db, [{ sku: "A", stock: [3, 0] }], new Date());
      token = await issueApiToken(db.prisma, shop.shopId);
    },
  });
  worker = startProcess("server/worker.ts", [], { ...env, DATABASE_URL: db.url!, LOCKSTEP_WEBHOOK_WORKERS: "1", LOCKSTEP_WEBHOOK_POLL_MS: "50" });
  await worker.waitFor(/webhook worker loop/);
});

afterAll(async () => {
  await worker?.stop();
  await web?.close();
  await db?.close();
});

describe("scale-out: web and worker processes on PostgreSQL", () => {
  it("an order applied by the worker process commits the reservation made through the web process", async () => {
    const reserved = await fetch(`${web.url}/api/v1/reservations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ key: "cart-scaleout", lines: [{ sku: "A", quantity: 2 }] }),
    });
    expect(reserved.status).toBe(201);
    const { id } = (await reserved.json()) as { id: string };

    const delivery = signShopifyDelivery({
      secret: STANDALONE_ENV.SHOPIFY_API_SECRET,
      shopDomain: shop.domain,
      topic: "orders/create",
      eventId: randomUUID(),
      payload: shopifyPayload("orders/create", { id: 7_000_001, cart_token: "cart-scaleout" }),
    });
    const stored = await fetch(`${web.url}/webhooks/shopify`, { method: "POST", headers: delivery.headers, body: delivery.body });
    expect(stored.status).toBe(200);

    const status = async () => ((await (await fetch(`${web.url}/api/v1/reservations/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string }).status;
    const deadline = Date.now() + 30_000;
    while ((await status()) !== "committed") {
      if (Date.now() > deadline) throw new Error(`the worker process did not commit the reservation:\n${worker.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [row] = await db.sql.query<{ state: string }>(`SELECT state::text FROM webhook_inbox WHERE topic = 'orders/create'`);
    expect(row!.state).toBe("processed");
  });
});
