import { createHmac, timingSafeEqual } from "node:crypto";
import { LockstepError } from "../config/errors";

/** The headers Shopify puts on every delivery, read once at the edge. */
export interface ShopifyDeliveryHeaders {
  topic: string;
  shopDomain: string;
  webhookId: string;
  apiVersion: string;
  eventId?: string;
  triggeredAt?: Date;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === "" ? undefined : text.trim();
}

export function shopifyHmac(secret: string, rawBody: Buffer | string): string {
  return createHmac("sha256", secret).update(rawBody).digest("base64");
}

/**
 * True when `signature` is the base64 HMAC-SHA256 of the exact bytes with one of the secrets
 * (the current one, or the previous one during a rotation). Compared in constant time.
 */
export function isValidShopifyHmac(rawBody: Buffer, signature: string | undefined, secrets: readonly string[]): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature, "base64");
  // A digest is 32 bytes: anything else cannot match, and timingSafeEqual needs equal lengths.
  if (given.length !== 32) return false;
  let valid = false;
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(rawBody).digest();
    // Every secret is tried, so the time taken does not tell which one matched.
    valid = timingSafeEqual(expected, given) || valid;
  }
  return valid;
}

/** Verifies the signature (401) then reads the required headers (400). */
export function verifyShopifyDelivery(rawBody: Buffer, headers: HeaderBag, secrets: readonly string[]): ShopifyDeliveryHeaders {
  if (!isValidShopifyHmac(rawBody, header(headers, "x-shopify-hmac-sha256"), secrets)) {
    throw new LockstepError("invalid_signature", "The X-Shopify-Hmac-Sha256 signature is missing or wrong");
  }
  const required = {
    topic: header(headers, "x-shopify-topic"),
    shopDomain: header(headers, "x-shopify-shop-domain"),
    webhookId: header(headers, "x-shopify-webhook-id"),
    apiVersion: header(headers, "x-shopify-api-version"),
  };
  const missing = Object.entries({
    "X-Shopify-Topic": required.topic,
    "X-Shopify-Shop-Domain": required.shopDomain,
    "X-Shopify-Webhook-Id": required.webhookId,
    "X-Shopify-API-Version": required.apiVersion,
  })
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new LockstepError("missing_headers", `Missing required headers: ${missing.join(", ")}`, { missing });
  }
  const triggered = header(headers, "x-shopify-triggered-at");
  const triggeredAt = triggered ? new Date(triggered) : undefined;
  return {
    topic: required.topic!,
    shopDomain: required.shopDomain!.toLowerCase(),
    webhookId: required.webhookId!,
    apiVersion: required.apiVersion!,
    eventId: header(headers, "x-shopify-event-id"),
    triggeredAt: triggeredAt && !Number.isNaN(triggeredAt.getTime()) ? triggeredAt : undefined,
  };
}
