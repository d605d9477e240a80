import { type DestinationSimulator, type DestinationSimulatorOptions, startDestinationSimulator } from "../destination/endpoint";

/** An ERP receiving inventory, price and order pushes (JSON over HTTP); 5 requests/s by default. */
export function startErpSimulator(options: Partial<DestinationSimulatorOptions> = {}): Promise<DestinationSimulator> {
  return startDestinationSimulator({ limits: { ratePerSecond: 5, burst: 10, retryAfterSeconds: 1 }, ...options, name: "erp" });
}

/** The same under the name every simulator folder uses. */
export const start = startErpSimulator;
