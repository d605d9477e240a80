/**
 * The simulators of every outside party Lockstep talks to: used by tests, benchmarks and the demo.
 * Each `start…({port: 0})` listens on 127.0.0.1 and returns its URL, `close()`, its state and an
 * `onChange(listener)` feed of the changes it makes (for the webhook simulator to deliver).
 */
export { startShopifySimulator, type ShopifySimulator, type ShopifySimulatorOptions, SIMULATED_API_VERSION } from "./shopify/server";
export { loadAdminSchema } from "./shopify/schema";
export { startBigCommerceSimulator, type BigCommerceSimulator, type BigCommerceSimulatorOptions } from "./bigcommerce/server";
export { startErpSimulator } from "./erp/index";
export { startMarketplaceSimulator, startSellingPartnerSimulator, type SellingPartnerSimulator } from "./marketplace/index";
export { startDestinationSimulator, type DestinationSimulator } from "./destination/endpoint";
export { type SimulatedChange, type ChangeListener } from "./changes";
