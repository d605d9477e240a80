import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackfill, startBackfill } from "../../app/backfill/backfill.server";
import { loadConfig } from "../../app/config/config.server";
import { type AppContext, closeAppContext, createAppContext } from "../../app/context.server";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { sealSessionToken } from "../../app/shops/sessionStorage.server";
import { useTestDatabase } from "../helpers/database";
import { countRows, createShop } from "./catalogFixture";

const getDb = useTestDatabase();
let sim: ShopifySimulator;
let context: AppContext;

beforeAll(async () => {
  sim = await startShopifySimulator();
  context = createAppContext(loadConfig({ SHOPIFY_ADMIN_API_BASE_URL: sim.url }), getDb());
});

afterAll(async () => {
  await closeAppContext(context);
  await sim.close();
});

describe("startBackfill in a running process", () => {
  it("reads the shop through its offline session's token, and the shop's cached availability follows the new stock at once", async () => {
    const domain = "installed-now.myshopify.com";
    sim.addShop({ domain, accessToken: "shpat_offline", seed: { products: 2, variantsPerProduct: 2, available: 3 } });
    const shopId = await createShop(getDb(), "shopify", domain);
    await getDb().sql.query(`INSERT INTO session (id, shop, state, is_online, access_token) VALUES ($1, $2, '', false, $3)`, [`offline_${domain}`, domain, sealSessionToken(context.config.encryptionKey, "shpat_offline")]);
    const availability = context.stock.availability;
    // Cached before the backfill: the SKU is unknown.
    const before = await availability.bySku(shopId, ["SKU-0001-1"]);
    expect(before[0]?.available ?? 0).toBe(0);

    const started = await startBackfill(context, shopId);
    expect(started.record.state).toBe("running");
    expect((await getBackfill(getDb().sql, shopId))?.state).toBe("running");
    const finished = await started.finished;
    expect(finished).toMatchObject({ state: "done", products: 2, variants: 4, levels: 4 });
    expect(await countRows(getDb().sql, shopId)).toEqual({ location: 1, product: 2, variant: 4, inventory_level: 4 });
    expect((await availability.bySku(shopId, ["SKU-0001-1"]))[0]?.available).toBe(3);
  });

  it("fails with no_access_token when the shop has no offline session, naming the shop", async () => {
    const domain = "no-session.myshopify.com";
    sim.addShop({ domain, seed: { products: 1 } });
    const shopId = await createShop(getDb(), "shopify", domain);
    const finished = await (await startBackfill(context, shopId)).finished;
    expect(finished.state).toBe("failed");
    expect(finished.error).toBe(`no_access_token: no offline session for ${domain}: install the app again`);
  });

  it("fails, naming the store, for a BigCommerce store whose install stored no token", async () => {
    const shopId = await createShop(getDb(), "bigcommerce", "stores/notoken");
    const finished = await (await startBackfill(context, shopId)).finished;
    expect(finished.state).toBe("failed");
    expect(finished.error).toMatch(/No access token for BigCommerce store notoken: reinstall the app/);
  });
});
