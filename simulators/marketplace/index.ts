import { type DestinationSimulator, type DestinationSimulatorOptions, startDestinationSimulator } from "../destination/endpoint";

/** A marketplace receiving listing inventory and price updates; 2 requests/s by default. */
export function startMarketplaceSimulator(options: Partial<DestinationSimulatorOptions> = {}): Promise<DestinationSimulator> {
  return startDestinationSimulator({ limits: { ratePerSecond: 2, burst: 5, retryAfterSeconds: 2 }, ...options, name: "marketplace" });
}

/** The same under the name every simulator folder uses. */
export const start = startMarketplaceSimulator;
