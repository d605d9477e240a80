import { type DestinationSimulator, type DestinationSimulatorOptions, startDestinationSimulator } from "../destination/endpoint";
import { startSellingPartnerSimulator } from "./sellingPartner";

export {
  startSellingPartnerSimulator,
  type SellingPartnerSimulator,
  type SellingPartnerSimulatorOptions,
  AMAZON_USAGE_PLANS,
  AMAZON_LISTING_FEED_WINDOW,
} from "./sellingPartner";

/**
 * A generic marketplace HTTP endpoint (the destination simulator under the name "marketplace",
 * 2 requests/s): for tests of the outbound client. The Amazon listings feed kind talks to
 * `startSellingPartnerSimulator`.
 */
export function startMarketplaceSimulator(options: Partial<DestinationSimulatorOptions> = {}): Promise<DestinationSimulator> {
  return startDestinationSimulator({ limits: { ratePerSecond: 2, burst: 5, retryAfterSeconds: 2 }, ...options, name: "marketplace" });
}

/** The marketplace the demo and `npm run simulators` start: Amazon's Selling Partner API, simulated. */
export const start = startSellingPartnerSimulator;
