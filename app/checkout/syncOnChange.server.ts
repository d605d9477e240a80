import type { Availability } from "../availability/availability.server";
import type { AvailabilityMetafieldSync } from "./availabilityMetafields.server";

/**
 * Availability whose invalidation (the call every change already makes: inventory update,
 * reserve, release, commit, expiry, bundle or policy change) also schedules the metafield write
 * for the checkout Function. The write is not awaited: a reservation is as fast as before, and a
 * Shopify outage never fails it. A shop-wide invalidation (null) becomes one full sync.
 */
export function withAvailabilityMetafieldSync(
  availability: Availability,
  sync: AvailabilityMetafieldSync,
  onError: (shopId: string, error: unknown) => void,
): Availability {
  return {
    cache: availability.cache,
    bySku: (shopId, skus, options) => availability.bySku(shopId, skus, options),
    cachedBySku: (shopId, skus) => availability.cachedBySku(shopId, skus),
    page: (shopId, options) => availability.page(shopId, options),
    async invalidate(shopId, skus) {
      await availability.invalidate(shopId, skus);
      const write = skus === null ? sync.syncAllAvailabilityMetafields(shopId) : sync.syncAvailabilityMetafields(shopId, skus);
      write.catch((error: unknown) => onError(shopId, error));
    },
  };
}
