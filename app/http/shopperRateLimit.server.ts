import type { IncomingMessage } from "node:http";
import { LockstepError } from "../config/errors";
import { TokenBucket } from "../outbound/tokenBucket";

/** Shoppers remembered at most (per process): made-up shoppers can cost memory only up to this. */
export const MAX_REMEMBERED_SHOPPERS = 10_000;

/**
 * A request allowance per shopper of a shop: `ratePerSecond`, bursts up to twice that; beyond it
 * a 429 (the request body drained). One cart cannot take the shop's whole storefront allowance.
 * The least recently seen shopper is forgotten first once `maxShoppers` are remembered: a
 * forgotten shopper starts again with a full bucket, which is all a flood of made-up shoppers wins.
 */
export function perShopperRateLimit(options: { ratePerSecond: number; now: () => number; maxShoppers?: number }): (shopId: string, shopper: string, req: IncomingMessage) => void {
  const maxShoppers = options.maxShoppers ?? MAX_REMEMBERED_SHOPPERS;
  const buckets = new Map<string, TokenBucket>();
  return (shopId, shopper, req) => {
    const key = `${shopId}\n${shopper}`;
    let bucket = buckets.get(key);
    if (bucket) buckets.delete(key);
    else bucket = new TokenBucket({ capacity: options.ratePerSecond * 2, refillPerSecond: options.ratePerSecond }, { now: options.now });
    // Map order is insertion order: re-inserting keeps the most recently seen shopper last.
    buckets.set(key, bucket);
    if (buckets.size > maxShoppers) buckets.delete(buckets.keys().next().value!);
    if (!bucket.tryTake(1)) {
      req.resume();
      throw new LockstepError("shopper_rate_limited", `More than ${options.ratePerSecond} requests per second from this shopper: slow down`, 429);
    }
  };
}
