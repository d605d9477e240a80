// Amazon Selling Partner API limits, as its Feeds API model (feeds_2021-06-30.json) and Listings
// Items API pages document them. The adapter's limiters and the marketplace simulator both use these.

/** A usage plan: a token bucket of `burst` refilled at `ratePerSecond`. */
export interface UsagePlan {
  ratePerSecond: number;
  burst: number;
}

export type SellingPartnerOperation = "createFeedDocument" | "createFeed" | "getFeed" | "getFeedDocument" | "searchListingsItems" | "getListingsItem";

export const AMAZON_USAGE_PLANS: Record<SellingPartnerOperation, UsagePlan> = {
  createFeedDocument: { ratePerSecond: 0.5, burst: 15 },
  createFeed: { ratePerSecond: 0.0083, burst: 15 },
  getFeed: { ratePerSecond: 2, burst: 15 },
  getFeedDocument: { ratePerSecond: 0.0222, burst: 10 },
  searchListingsItems: { ratePerSecond: 5, burst: 5 },
  getListingsItem: { ratePerSecond: 5, burst: 10 },
};

/** "5 listing feed submissions per 5 minutes per region" (JSON_LISTINGS_FEED). */
export const AMAZON_LISTING_FEED_WINDOW = { max: 5, windowMs: 300_000 };

/** Messages per JSON_LISTINGS_FEED document (raised from 10,000 in 2025) and the size to keep under. */
export const AMAZON_MAX_MESSAGES = 25_000;
export const AMAZON_MAX_FEED_BYTES = 10 * 1024 * 1024;

/** SKUs one searchListingsItems call may name. */
export const AMAZON_SEARCH_SKUS = 20;

/**
 * The one bucket createFeed goes through so that neither limit is ever passed: Amazon's usage plan
 * and a sliding window of `max` listing feeds. A bucket of burst b and rate r lets b + r·W requests
 * into any window W, so b = ⌊max/2⌋ and r ≤ (max − b)/W keeps inside the window (5 per 5 minutes:
 * 2 at once, then one per 100 s — slower still under the plan's one per 120 s).
 */
export function createFeedBucket(plan: UsagePlan, window: { max: number; windowMs: number }): UsagePlan {
  const burst = Math.max(1, Math.min(plan.burst, Math.floor(window.max / 2)));
  const windowRate = (window.max - burst) / (window.windowMs / 1000);
  // A window of one: one token, the next only after two windows (tokens are whole).
  return { burst, ratePerSecond: Math.min(plan.ratePerSecond, windowRate > 0 ? windowRate : 0.5 / (window.windowMs / 1000)) };
}
