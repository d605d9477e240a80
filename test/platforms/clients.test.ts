import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { createLimiterRegistry, type LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createPlatformClients, type PlatformClients, shopifyEndpointFor } from "../../app/platforms/clients.server";
import { productVariantsPage } from "../../app/platforms/shopify/documents/catalog";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";

let shopify: ShopifySimulator;
let bigcommerce: BigCommerceSimulator;
let registry: LimiterRegistry | undefined;
let clients: PlatformClients | undefined;

beforeAll(async () => {
  shopify = await startShopifySimulator({ shops: [{ domain: "demo-shop.myshopify.com", accessToken: "shpat_demo", seed: { products: 2 } }] });
  bigcommerce = await startBigCommerceSimulator({ stores: [{ storeHash: "demo", accessToken: "bc", seed: { products: 2 } }] });
});

afterAll(async () => {
  clients?.close();
  await registry?.close();
  await shopify.close();
  await bigcommerce.close();
});

describe("configuration of outbound calls", () => {
  it("defaults to the real platforms and an in-process registry", () => {
    const config = loadConfig({});
    expect(config.outbound).toEqual({ shopifyAdminBaseUrl: undefined, bigCommerceApiBaseUrl: "https://api.bigcommerce.com", limiterPrefix: "lockstep" });
    expect(shopifyEndpointFor(config, "a.myshopify.com")).toBe("https://a.myshopify.com/admin/api/2026-10/graphql.json");
  });

  it("names a bad variable", () => {
    expect(() => loadConfig({ SHOPIFY_ADMIN_API_BASE_URL: "ftp://x" })).toThrow(/SHOPIFY_ADMIN_API_BASE_URL/);
    expect(() => loadConfig({ LOCKSTEP_LIMITER_PREFIX: "no spaces" })).toThrow(/LOCKSTEP_LIMITER_PREFIX/);
  });

  it("points the process's clients at the simulators when the base URLs are set, through one registry", async () => {
    const config = loadConfig({ SHOPIFY_ADMIN_API_BASE_URL: `${shopify.url}/`, BIGCOMMERCE_API_BASE_URL: bigcommerce.url });
    registry = createLimiterRegistry({ redisUrl: config.redisUrl, prefix: config.outbound.limiterPrefix });
    clients = createPlatformClients(config, registry);
    const client = clients.shopifyAdminClientFor("demo-shop.myshopify.com", "shpat_demo");
    expect(clients.shopifyAdminClientFor("demo-shop.myshopify.com", "shpat_demo")).toBe(client);
    const { data } = await client.request(productVariantsPage, { first: 2 });
    expect(data.productVariants.nodes).toHaveLength(2);
    const store = clients.bigCommerceClientFor("demo", "bc");
    await expect(store.request("GET", "/v3/catalog/products")).resolves.toMatchObject({ status: 200 });
    const reader = clients.bigCommerceReaderFor(async () => "bc");
    const levels = await reader.getInventoryLevels("demo", { variantIds: [String([...bigcommerce.store("demo").variants.keys()][0])] });
    expect(levels).toHaveLength(1);
    expect(registry.clustered).toBe(false);
    expect(registry.metrics.snapshot().map((metrics) => metrics.key).sort()).toEqual(["bigcommerce:demo", "shopify:demo-shop.myshopify.com"]);
  });
});
