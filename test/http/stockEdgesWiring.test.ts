import { describe, expect, it } from "vitest";
import { signAppProxyParams } from "../../app/http/appProxy.server";
import { issueApiToken } from "../../app/shops/shops.server";
import { notifyApplied } from "../../app/webhooks/subscribers.server";
import { seedStockShop, type StockShop } from "../reservations/stockFixture";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";
import { call } from "./stockServer";

let shop: StockShop;
let token: string;

const server = useTestServer({
  build: false,
  background: true,
  env: { ...STANDALONE_ENV, LOCKSTEP_RESERVATION_SWEEP_SECONDS: "0.1" },
  beforeListen: async ({ db }) => {
    shop = await seedStockShop(db, [{ sku: "A", stock: [2, 0] }, { sku: "B", stock: [1, 0] }], new Date());
    token = await issueApiToken(db.prisma, shop.shopId);
  },
});

describe("the stock edges in the running server", () => {
  it("serves /api/v1 and /proxy from the edge router, and commits a hold when the order's event is applied", async () => {
    const { url, context } = server();
    expect(await call(`${url}/api/v1/availability?sku=A`, { token })).toMatchObject({ status: 200, body: { items: [{ sku: "A", available: 2 }] } });
    const created = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-live", lines: [{ sku: "A", quantity: 2 }] } });
    expect(created.status).toBe(201);

    const query = signAppProxyParams(new URLSearchParams({ shop: shop.domain, timestamp: String(Math.floor(Date.now() / 1000)), sku: "A" }), STANDALONE_ENV.SHOPIFY_API_SECRET);
    expect(await call(`${url}/proxy/availability?${query.toString()}`)).toMatchObject({ status: 200, body: { items: [{ sku: "A", available: 0 }] } });

    // The background work subscribed to applied webhook events: the order commits the cart's hold.
    await notifyApplied(context.webhooks.subscribers, [{ type: "OrderCreated", shopId: shop.shopId, occurredAt: new Date(), orderExternalId: "o-live", cartToken: "cart-live", lineItems: [] }], (error) => {
      throw error;
    });
    expect((await call(`${url}/api/v1/reservations/${created.body.id as string}`, { token })).body.status).toBe("committed");
    expect((await context.stock.reservations.overview(shop.shopId)).byItem).toMatchObject([{ sku: "A", reserved: 0, committedPending: 2 }]);
  });

  it("expires holds through the background sweeper", async () => {
    const { url, context } = server();
    const created = await call(`${url}/api/v1/reservations`, { method: "POST", token, json: { key: "cart-short", lines: [{ sku: "B", quantity: 1 }], ttlSeconds: 1 } });
    expect(created.status).toBe(201);
    // The row itself, not the API's view (which already calls an overdue hold expired).
    const stored = async () => (await context.db.sql.query<{ status: string }>(`SELECT status FROM reservation WHERE id = $1`, [created.body.id]))[0]!.status;
    let status = await stored();
    for (let attempt = 0; attempt < 100 && status !== "expired"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await stored();
    }
    expect(status).toBe("expired");
    expect(await call(`${url}/api/v1/availability?sku=B`, { token })).toMatchObject({ body: { items: [{ sku: "B", available: 1 }] } });
  });
});
