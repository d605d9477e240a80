import type { IncomingMessage } from "node:http";
import { LockstepError } from "../config/errors";
import { keyedRateLimit } from "./keyedRateLimit.server";
import type { Clock } from "../config/clock";

/** Shoppers remembered at most (per process): made-up shoppers can cost memory only up to this. */
export const MAX_REMEMBERED_SHOPPERS = 10_000;

/**
 * A request allowance per shopper of a shop: `ratePerSecond`, bursts up to twice that; beyond it
 * a 429 (the request body drained). One cart cannot take the shop's whole storefront allowance.
 * The least recently seen shopper is forgotten first once `maxShoppers` are remembered: a
 * forgotten shopper starts again with a full bucket, which is all a flood of made-up shoppers wins.
 */
export function perShopperRateLimit(options: { ratePerSecond: number; clock: Pick<Clock, "now">; maxShoppers?: number }): (shopId: string, shopper: string, req: IncomingMessage) => void {
  const waitFor = keyedRateLimit({ ratePerSecond: options.ratePerSecond, clock: options.clock, maxKeys: options.maxShoppers ?? MAX_REMEMBERED_SHOPPERS });
  return (shopId, shopper, req) => {
    const retryAfterSeconds = waitFor(`${shopId}\n${shopper}`);
    if (retryAfterSeconds !== undefined) {
      req.resume();
      throw new LockstepError("shopper_rate_limited", `More than ${options.ratePerSecond} requests per second from this shopper: slow down`, { retryAfterSeconds });
    }
  };
}
