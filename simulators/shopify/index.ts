/** `start({port: 0})` → the Shopify Admin GraphQL simulator (see server.ts). */
export { startShopifySimulator as start, type ShopifySimulator, type ShopifySimulatorOptions, type ShopifyCatalog } from "./server";
