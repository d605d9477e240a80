import { type Config, SHOPIFY_API_VERSION } from "../config/config.server";
import type { LimiterRegistry } from "../outbound/limiterRegistry.server";
import { type BigCommerceReader } from "./bigcommerce/readBack";
import { type BigCommerceClient, createBigCommerceClient } from "./bigcommerce/client.server";
import { createBigCommerceReader } from "./bigcommerce/reader.server";
import { type ShopifyAdminClient, createShopifyAdminClient, shopifyAdminEndpoint } from "./shopify/adminClient.server";

type OutboundConfig = Pick<Config, "outbound">;

/** Where a shop's Admin API is: the shop itself, or the simulator when SHOPIFY_ADMIN_API_BASE_URL is set. */
export function shopifyEndpointFor(config: OutboundConfig, shop: string): string {
  const base = config.outbound.shopifyAdminBaseUrl;
  return base ? `${base}/${encodeURIComponent(shop)}/admin/api/${SHOPIFY_API_VERSION}/graphql.json` : shopifyAdminEndpoint(shop);
}

/** The process's throttled platform clients (one per shop and token), all limited through one registry. */
export interface PlatformClients {
  shopifyAdminClientFor(shop: string, accessToken: string): ShopifyAdminClient;
  bigCommerceClientFor(storeHash: string, accessToken: string): BigCommerceClient;
  /**
   * What webhook processing reads BigCommerce's state through (thin payloads): each store's
   * throttled client, with the store's access token looked up by `tokenOf` (e.g. from the Shop row).
   */
  bigCommerceReaderFor(tokenOf: (storeHash: string) => string | Promise<string>): BigCommerceReader;
  /** Forgets every client (their limiters go with the registry): for shutdown. */
  close(): void;
}

export function createPlatformClients(config: OutboundConfig, registry: LimiterRegistry): PlatformClients {
  const shopifyClients = new Map<string, ShopifyAdminClient>();
  const bigCommerceClients = new Map<string, BigCommerceClient>();
  const clients: PlatformClients = {
    shopifyAdminClientFor(shop, accessToken) {
      const key = `${shop}\n${accessToken}`;
      let client = shopifyClients.get(key);
      if (!client) {
        client = createShopifyAdminClient({ shop, accessToken, registry, endpoint: shopifyEndpointFor(config, shop) });
        shopifyClients.set(key, client);
      }
      return client;
    },
    bigCommerceClientFor(storeHash, accessToken) {
      const key = `${storeHash}\n${accessToken}`;
      let client = bigCommerceClients.get(key);
      if (!client) {
        client = createBigCommerceClient({ storeHash, accessToken, registry, baseUrl: config.outbound.bigCommerceApiBaseUrl });
        bigCommerceClients.set(key, client);
      }
      return client;
    },
    bigCommerceReaderFor(tokenOf) {
      return createBigCommerceReader(async (storeHash) => clients.bigCommerceClientFor(storeHash, await tokenOf(storeHash)));
    },
    close() {
      for (const client of bigCommerceClients.values()) client.close();
      bigCommerceClients.clear();
      shopifyClients.clear();
    },
  };
  return clients;
}
