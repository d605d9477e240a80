/** `start({port: 0})` → the BigCommerce REST simulator (see server.ts). */
export { startBigCommerceSimulator as start, type BigCommerceSimulator, type BigCommerceSimulatorOptions } from "./server";
