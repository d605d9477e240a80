import { LockstepError } from "../config/errors";
import type { Platform } from "../generated/prisma/client";

// BigCommerce names a store `stores/{hash}` (install context, webhook producer, callback JWT
// subject); Lockstep keeps that name as the shop's domain. The conversion is written here only.
const BIGCOMMERCE_STORE = /^stores\/([a-z0-9]+)$/i;

/** A shop as its platform knows it: a Shopify shop by its `name.myshopify.com`, a BigCommerce store by its hash. */
export type PlatformIdentity = { platform: "shopify"; shopDomain: string } | { platform: "bigcommerce"; storeHash: string };

/** The shop domain Lockstep stores for a BigCommerce store. */
export function bigCommerceShopDomain(storeHash: string): string {
  return `stores/${storeHash}`;
}

/** The store hash (lower case) in a `stores/{hash}` name, or undefined when the text is not one. */
export function parseStoreHash(name: string): string | undefined {
  return BIGCOMMERCE_STORE.exec(name.trim())?.[1]?.toLowerCase();
}

/** The store hash of a BigCommerce shop, from its stored domain. */
export function storeHashOf(shop: { domain: string }): string {
  const storeHash = parseStoreHash(shop.domain);
  if (!storeHash) throw new LockstepError("invalid_shop_domain", `"${shop.domain}" is not a BigCommerce shop (expected stores/<store_hash>)`);
  return storeHash;
}

/** Who the shop is on its platform, from its stored platform and domain. */
export function platformIdentityOf(shop: { platform: Platform | string; domain: string }): PlatformIdentity {
  return shop.platform === "shopify" ? { platform: "shopify", shopDomain: shop.domain } : { platform: "bigcommerce", storeHash: storeHashOf(shop) };
}
