import { type BigCommerceSimulator, startBigCommerceSimulator } from "./bigcommerce/server";
import { type ChangeListener } from "./changes";
import { type DestinationSimulator } from "./destination/endpoint";
import { startErpSimulator } from "./erp/index";
import { type SellingPartnerSimulator, startSellingPartnerSimulator } from "./marketplace/sellingPartner";
import { type ShopifyCatalog, type ShopifySimulator, startShopifySimulator } from "./shopify/server";

export interface DemoSimulatorOptions {
  /** `deployedFunctions`: the checkout validation Function handles `validationCreate` accepts. */
  shopify: { domain: string; accessToken: string; catalog?: ShopifyCatalog; deployedFunctions?: string[]; appId?: string };
  bigcommerce?: { storeHash: string; accessToken: string };
  /** Fixed ports (0 or absent: any free port). */
  ports?: { shopify?: number; bigcommerce?: number; erp?: number; marketplace?: number };
}

export interface DemoSimulators {
  shopify: ShopifySimulator;
  bigcommerce: BigCommerceSimulator;
  erp: DestinationSimulator;
  /** Amazon's Selling Partner API (Feeds + Listings Items), simulated. */
  marketplace: SellingPartnerSimulator;
  /** What to put in the app's environment so its clients call the simulators. */
  env: { SHOPIFY_ADMIN_API_BASE_URL: string; BIGCOMMERCE_API_BASE_URL: string };
  /** Every change any simulated platform makes (for the webhook simulator to deliver). */
  onChange(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

/**
 * Starts every simulated party of the demo on 127.0.0.1: Shopify (the demo shop, on a Standard
 * plan's bucket of 100 points/s), a BigCommerce store (150 requests / 30 s), an ERP (5 requests/s)
 * and an Amazon-like marketplace (Selling Partner API usage plans).
 */
export async function startDemoSimulators(options: DemoSimulatorOptions): Promise<DemoSimulators> {
  const ports = options.ports ?? {};
  const shopify = await startShopifySimulator({
    port: ports.shopify,
    shops: [
      {
        domain: options.shopify.domain,
        accessToken: options.shopify.accessToken,
        bucket: { maximumAvailable: 2_000, restoreRate: 100 },
        deployedFunctions: options.shopify.deployedFunctions,
        appId: options.shopify.appId,
        ...(options.shopify.catalog ? { catalog: options.shopify.catalog } : { seed: { products: 8, variantsPerProduct: 2, locations: ["Main warehouse", "Downtown store"] } }),
      },
    ],
  });
  const bigcommerce = await startBigCommerceSimulator({
    port: ports.bigcommerce,
    stores: [
      {
        storeHash: options.bigcommerce?.storeHash ?? "demo-store",
        accessToken: options.bigcommerce?.accessToken ?? "bc_demo_token",
        seed: { products: 8, variantsPerProduct: 2, locations: ["Main warehouse"] },
      },
    ],
  });
  const erp = await startErpSimulator({ port: ports.erp });
  // Feeds are processed 2 s after createFeed; the listing feed window is Amazon's (5 per 5 minutes).
  const marketplace = await startSellingPartnerSimulator({ port: ports.marketplace, processingDelayMs: 2_000 });
  return {
    shopify,
    bigcommerce,
    erp,
    marketplace,
    env: { SHOPIFY_ADMIN_API_BASE_URL: shopify.url, BIGCOMMERCE_API_BASE_URL: bigcommerce.url },
    onChange(listener) {
      const stops = [shopify.onChange(listener), bigcommerce.onChange(listener), erp.onChange(listener), marketplace.onChange(listener)];
      return () => stops.forEach((stop) => stop());
    },
    async close() {
      await Promise.all([shopify.close(), bigcommerce.close(), erp.close(), marketplace.close()]);
    },
  };
}
