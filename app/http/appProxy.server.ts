import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { LockstepError } from "../config/errors";
import type { Shop } from "../generated/prisma/client";
import { findShopByDomain } from "../shops/shops.server";
import { createShopperHolds, type Shopper } from "../reservations/shopperHolds.server";
import { perShopperRateLimit } from "./shopperRateLimit.server";
import { callerGone, jsonBody, perShopRateLimit, publicReservation, reserveInput, type StockEdgeDeps, stockAnswers, storefrontRoutes } from "./storefrontApi.server";
import { parseActionBody, parseProxyQuery, parseReserveBody } from "./storefrontInput.server";
import { sendJson } from "./respond.server";
import type { PriceLookup } from "../prices/lookup.server";
import { pricesAnswer } from "./pricesApi.server";
import type { Router } from "./router.server";
import { systemClock } from "../config/clock";

/** A signed proxy request older (or further in the future) than this is refused: a replayed URL stops working. */
export const PROXY_MAX_AGE_SECONDS = 300;

/**
 * The Shopify app proxy: the storefront's `/apps/<prefix>/...` arrives here as `/proxy/...`
 * with `shop`, `timestamp` and `signature` added by Shopify. The theme block reads availability
 * and holds the cart's stock through it. Holds are the shopper's own and capped
 * (app/reservations/shopperHolds.server.ts); a shopper is a signed-in customer
 * (`logged_in_customer_id`) or, anonymous, the cart token they send as `key` (in the body to
 * reserve, in the query for a hold's id routes).
 */
export function registerAppProxy(router: Router, deps: StockEdgeDeps & { secrets: string[]; ratePerSecond: number; shopperRatePerSecond: number; prices?: PriceLookup }): void {
  const answers = stockAnswers(deps.services);
  const holds = createShopperHolds({ reservations: deps.services.reservations, availability: deps.services.availability, getPolicy: (shopId) => deps.services.settings.getPolicy(shopId) });
  const on = storefrontRoutes(router);
  const clock = deps.clock ?? systemClock;
  // Its own allowance per shop, apart from the shop's API token: storefront traffic cannot starve the shop's backend calls.
  const limit = perShopRateLimit(deps.ratePerSecond, clock);
  const limitShopper = perShopperRateLimit({ ratePerSecond: deps.shopperRatePerSecond, clock });
  const signed = async (url: URL, req: IncomingMessage): Promise<{ shop: Shop; query: Record<string, string> }> => {
    try {
      verifyAppProxySignature(url.searchParams, deps.secrets, clock.now());
      const query = parseProxyQuery(url.searchParams);
      const shop = await findShopByDomain(deps.prisma, "shopify", query.shop ?? "");
      if (!shop || shop.installState !== "installed") throw new LockstepError("unknown_shop", "This shop has not installed Lockstep");
      limit(shop.id, req);
      return { shop, query };
    } catch (error) {
      req.resume();
      throw error;
    }
  };
  /** The shopper of a hold request (its cart token: `key`, when no customer is signed in), limited on its own. */
  const shopperOf = (shop: Shop, query: Record<string, string>, cartToken: string | undefined, req: IncomingMessage): Shopper => {
    const customerId = query.logged_in_customer_id;
    const shopper: Shopper | undefined = customerId ? { kind: "customer", customerId } : cartToken ? { kind: "cart", cartToken } : undefined;
    if (!shopper) throw new LockstepError("shopper_required", "Send the cart token as key: holds through the online store belong to one cart or signed-in customer");
    limitShopper(shop.id, shopper.kind === "customer" ? `customer:${shopper.customerId}` : `cart:${shopper.cartToken}`, req);
    return shopper;
  };
  const json = { "cache-control": "no-store" };

  on("GET", "/proxy/availability", async ({ req, res, url }) => {
    sendJson(res, 200, await answers.availability((await signed(url, req)).shop, url), json);
  });
  if (deps.prices) {
    const prices = deps.prices;
    on("GET", "/proxy/prices", async ({ req, res, url }) => {
      sendJson(res, 200, await pricesAnswer(prices, (await signed(url, req)).shop, url), json);
    });
  }
  on("POST", "/proxy/reservations", async ({ req, res, url }) => {
    const { shop, query } = await signed(url, req);
    const input = reserveInput(parseReserveBody(await jsonBody(req)));
    const { reservation, created } = await holds.reserve(shop.id, shopperOf(shop, query, input.key, req), input, { signal: callerGone(res) });
    sendJson(res, created ? 201 : 200, publicReservation(reservation), json);
  });
  on("GET", "/proxy/reservations/:id", async ({ req, res, url, params }) => {
    const { shop, query } = await signed(url, req);
    sendJson(res, 200, publicReservation(await holds.get(shop.id, shopperOf(shop, query, query.key, req), params.id!)), json);
  });
  // A shopper's cart can give its hold back or keep it longer; committing is the order's business (webhook).
  on("POST", "/proxy/reservations/:id/:action", async ({ req, res, url, params }) => {
    const { shop, query } = await signed(url, req);
    if (params.action !== "extend" && params.action !== "release") {
      req.resume();
      throw new LockstepError("not_found", `Unknown action ${params.action}: use extend or release`);
    }
    const shopper = shopperOf(shop, query, query.key, req);
    const body = parseActionBody(await jsonBody(req, true));
    const reservation =
      params.action === "extend"
        ? await holds.extend(shop.id, shopper, params.id!, body.ttlSeconds ?? undefined)
        : await holds.release(shop.id, shopper, params.id!, body.reason ?? undefined);
    sendJson(res, 200, publicReservation(reservation), json);
  });
}

/**
 * Shopify's app proxy signature: hex HMAC-SHA256, keyed with the app's secret, of every query
 * parameter but `signature`, sorted by name, each as `name=value` (several values joined by `,`),
 * concatenated with no separator. `secrets` holds the current secret and, during a rotation, the previous one.
 */
export function verifyAppProxySignature(params: URLSearchParams, secrets: string[], nowMs: number): void {
  const signature = params.get("signature");
  if (!signature) throw new LockstepError("invalid_signature", "The app proxy signature is missing");
  const message = appProxyMessage(params);
  const given = Buffer.from(signature, "hex");
  const valid = secrets.some((secret) => {
    const expected = createHmac("sha256", secret).update(message).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new LockstepError("invalid_signature", "The app proxy signature does not match");
  const timestamp = Number(params.get("timestamp"));
  if (!Number.isFinite(timestamp) || Math.abs(nowMs / 1000 - timestamp) > PROXY_MAX_AGE_SECONDS) {
    throw new LockstepError("stale_request", `The app proxy request is older than ${PROXY_MAX_AGE_SECONDS} s (or its timestamp is wrong)`);
  }
}

export function appProxyMessage(params: URLSearchParams): string {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of params) {
    if (name === "signature") continue;
    grouped.set(name, [...(grouped.get(name) ?? []), value]);
  }
  // Shopify sorts the `name=value` strings themselves (not the names): "a1=…" comes before "a=…".
  return [...grouped]
    .map(([name, values]) => `${name}=${values.join(",")}`)
    .sort()
    .join("");
}

/** Signs proxy parameters as Shopify does: for tests, the demo's simulated storefront and benchmarks. */
export function signAppProxyParams(params: URLSearchParams, secret: string): URLSearchParams {
  const signed = new URLSearchParams(params);
  signed.delete("signature");
  signed.set("signature", createHmac("sha256", secret).update(appProxyMessage(signed)).digest("hex"));
  return signed;
}
