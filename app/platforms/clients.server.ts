import { type Config, SHOPIFY_API_VERSION } from "../config/config.server";
import { outboundRegistry } from "../outbound/registry.server";
import { type BigCommerceReader } from "../webhooks/bigcommerceReader";
import { type BigCommerceClient, createBigCommerceClient } from "./bigcommerce/client";
import { createBigCommerceReader } from "./bigcommerce/reader";
import { type ShopifyAdminClient, createShopifyAdminClient, shopifyAdminEndpoint } from "./shopify/adminClient";

type OutboundConfig = Pick<Config, "redisUrl" | "outbound">;

const shopifyClients = new Map<string, ShopifyAdminClient>();
const bigCommerceClients = new Map<string, BigCommerceClient>();

/** Where a shop's Admin API is: the shop itself, or the simulator when SHOPIFY_ADMIN_API_BASE_URL is set. */
export function shopifyEndpointFor(config: OutboundConfig, shop: string): string {
  const base = config.outbound.shopifyAdminBaseUrl;
  return base ? `${base}/${encodeURIComponent(shop)}/admin/api/${SHOPIFY_API_VERSION}/graphql.json` : shopifyAdminEndpoint(shop);
}

/** The throttled Admin API client of a shop in this process (one per shop and token). */
export function shopifyAdminClientFor(config: OutboundConfig, shop: string, accessToken: string): ShopifyAdminClient {
  const key = `${shop}\n${accessToken}`;
  let client = shopifyClients.get(key);
  if (!client) {
    client = createShopifyAdminClient({ shop, accessToken, registry: outboundRegistry(config), endpoint: shopifyEndpointFor(config, shop) });
    shopifyClients.set(key, client);
  }
  return client;
}

/** The throttled REST client of a BigCommerce store in this process (one per store and token). */
export function bigCommerceClientFor(config: OutboundConfig, storeHash: string, accessToken: string): BigCommerceClient {
  const key = `${storeHash}\n${accessToken}`;
  let client = bigCommerceClients.get(key);
  if (!client) {
    client = createBigCommerceClient({ storeHash, accessToken, registry: outboundRegistry(config), baseUrl: config.outbound.bigCommerceApiBaseUrl });
    bigCommerceClients.set(key, client);
  }
  return client;
}

/**
 * What webhook processing reads BigCommerce's state through (thin payloads): each store's
 * throttled client, with the store's access token looked up by `tokenOf` (e.g. from the Shop row).
 */
export function bigCommerceReaderFor(config: OutboundConfig, tokenOf: (storeHash: string) => string | Promise<string>): BigCommerceReader {
  return createBigCommerceReader(async (storeHash) => bigCommerceClientFor(config, storeHash, await tokenOf(storeHash)));
}

/** Forgets every client (their limiters go with the registry): for shutdown and tests. */
export function forgetPlatformClients(): void {
  for (const client of bigCommerceClients.values()) client.close();
  bigCommerceClients.clear();
  shopifyClients.clear();
}
