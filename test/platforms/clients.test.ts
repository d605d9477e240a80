import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { closeOutboundRegistry, outboundRegistry } from "../../app/outbound/registry.server";
import { bigCommerceClientFor, bigCommerceReaderFor, forgetPlatformClients, shopifyAdminClientFor, shopifyEndpointFor } from "../../app/platforms/clients.server";
import { productVariantsPage } from "../../app/platforms/shopify/documents/catalog";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";

let shopify: ShopifySimulator;
let bigcommerce: BigCommerceSimulator;

beforeAll(async () => {
  shopify = await startShopifySimulator({ shops: [{ domain: "demo-shop.myshopify.com", accessToken: "shpat_demo", seed: { products: 2 } }] });
  bigcommerce = await startBigCommerceSimulator({ stores: [{ storeHash: "demo", accessToken: "bc", seed: { products: 2 } }] });
});

afterAll(async () => {
  forgetPlatformClients();
  await closeOutboundRegistry();
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
    const client = shopifyAdminClientFor(config, "demo-shop.myshopify.com", "shpat_demo");
    expect(shopifyAdminClientFor(config, "demo-shop.myshopify.com", "shpat_demo")).toBe(client);
    const { data } = await client.request(productVariantsPage, { first: 2 });
    expect(data.productVariants.nodes).toHaveLength(2);
    const store = bigCommerceClientFor(config, "demo", "bc");
    await expect(store.request("GET", "/v3/catalog/products")).resolves.toMatchObject({ status: 200 });
    const reader = bigCommerceReaderFor(config, async () => "bc");
    const levels = await reader.getInventoryLevels("demo", { variantIds: [String([...bigcommerce.store("demo").variants.keys()][0])] });
    expect(levels).toHaveLength(1);
    const registry = outboundRegistry(config);
    expect(registry.clustered).toBe(false);
    expect(registry.metrics.snapshot().map((metrics) => metrics.key).sort()).toEqual(["bigcommerce:demo", "shopify:demo-shop.myshopify.com"]);
  });
});
