import http from "node:http";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createPriceActivator, type ListPrice, type PushStorePrices } from "../../app/prices/activator.server";
import { mapPriceList } from "../../app/prices/priceLists.server";
import { bigCommercePriceListPush } from "../../app/prices/storePush.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { useTestDatabase } from "../helpers/database";
import { rejection, until } from "../helpers/expectations";
import { plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const registry = createLimiterRegistry();
afterAll(() => registry.close());

describe("named price lists", () => {
  it("a list mapped to a BigCommerce price list is pushed as its records; the default list to the variant price; an unmapped list only recorded", async () => {
    const shop = await seedPriceShop(db(), { products: 1, variantsPerProduct: 2, platform: "bigcommerce", domain: `stores/pl${Date.now()}` });
    await mapPriceList(db().sql, shop.shopId, "b2b", 77);
    const validFrom = plus(new Date(), -1);
    const plan = (list: string, amount: string) =>
      schedulePrices(db().sql, shop.shopId, [...shop.variants.values()].map((variantId) => ({ variantId, list, amount, currency: "EUR", validFrom })), { source: "staff", createdBy: "test" });
    await plan("default", "20.00");
    await plan("b2b", "15.50");
    await plan("amazon", "21.00");
    const storePushes: string[] = [];
    const listPushes: Array<{ priceListId: number; prices: ListPrice[] }> = [];
    const push: PushStorePrices = async (_shopId, platform, prices) => void storePushes.push(...prices.map((price) => `${platform}:${price.amount}`));
    const activator = createPriceActivator({ sql: db().sql, workerId: "w", push, pushList: async (_shopId, priceListId, prices) => void listPushes.push({ priceListId, prices }) });
    await until(async () => (await activator.runOnce()) === 0, { what: "every activation run" });
    expect(storePushes).toEqual(["bigcommerce:20.00", "bigcommerce:20.00"]);
    expect(listPushes).toEqual([{ priceListId: 77, prices: [...shop.variants.keys()].map((_, i) => ({ variantExternalId: `gid://shopify/ProductVariant/${i + 1}`, amount: "15.50", currency: "EUR", compareAt: null })) }]);
    const outcomes = await db().sql.query<{ list: string; outcome: string; state: string }>(
      `SELECT pv.list, a.outcome, a.state FROM price_activation a JOIN price_version pv ON pv.id = a.version_id WHERE a.shop_id = $1 ORDER BY pv.list, a.id`,
      [shop.shopId],
    );
    expect(outcomes.map((row) => `${row.list}:${row.outcome}:${row.state}`)).toEqual([
      "amazon:list_only:done", "amazon:list_only:done", "b2b:bigcommerce_price_list:done", "b2b:bigcommerce_price_list:done", "default:bigcommerce:done", "default:bigcommerce:done",
    ]);
  });

  it("a refused price list push is retried like the store's, and nothing is recorded applied", async () => {
    const shop = await seedPriceShop(db(), { products: 1, variantsPerProduct: 1, platform: "bigcommerce", domain: `stores/plr${Date.now()}` });
    await mapPriceList(db().sql, shop.shopId, "b2b", 78);
    await schedulePrices(db().sql, shop.shopId, [{ variantId: [...shop.variants.values()][0]!, list: "b2b", amount: "9.00", currency: "EUR", validFrom: plus(new Date(), -1) }], { source: "staff", createdBy: "test" });
    const activator = createPriceActivator({ sql: db().sql, workerId: "w", push: async () => undefined, pushList: () => Promise.reject(new Error("price list 78 not found")) });
    expect(await activator.runOnce()).toBe(1);
    const [row] = await db().sql.query<{ state: string; lastError: string }>(`SELECT state, last_error AS "lastError" FROM price_activation WHERE shop_id = $1`, [shop.shopId]);
    expect(row).toEqual({ state: "pending", lastError: "price list 78 not found" });
  });

  it("refuses to map the default list or a bad price list id", async () => {
    const shop = await seedPriceShop(db(), { products: 1, variantsPerProduct: 1, platform: "bigcommerce", domain: `stores/plx${Date.now()}` });
    expect((await rejection(mapPriceList(db().sql, shop.shopId, "default", 5))).code).toBe("invalid_list");
    expect((await rejection(mapPriceList(db().sql, shop.shopId, "b2b", 0))).code).toBe("invalid_price_list");
  });

  it("sends price list records with PUT /v3/pricelists/{id}/records, 1,000 a call, through the store's client", async () => {
    const requests: Array<{ method: string; url: string; body: Array<Record<string, unknown>> }> = [];
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        requests.push({ method: request.method!, url: request.url!, body: JSON.parse(body) as Array<Record<string, unknown>> });
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: [], meta: {} }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const client = createBigCommerceClient({ storeHash: "pricelists", accessToken: "bc_token", registry, baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
      const push = bigCommercePriceListPush(async () => client);
      await push("shop", 42, Array.from({ length: 1_001 }, (_, i) => ({ variantExternalId: String(i + 1), amount: "12.50", currency: "EUR", compareAt: i === 0 ? "15.00" : null })));
      expect(requests.map((request) => [request.method, request.url.replace(/^.*\/v3\//, "/v3/"), request.body.length]).sort()).toEqual([
        ["PUT", "/v3/pricelists/42/records", 1],
        ["PUT", "/v3/pricelists/42/records", 1_000],
      ]);
      const first = requests.flatMap((request) => request.body).find((record) => record.variant_id === 1);
      expect(first).toEqual({ variant_id: 1, currency: "eur", price: 12.5, retail_price: 15 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
