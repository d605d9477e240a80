import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { LockstepError } from "../config/errors";
import type { Shop } from "../generated/prisma/client";
import { findShopByDomain } from "../shops/shops.server";
import { jsonBody, perShopRateLimit, type StockEdgeDeps, stockAnswers } from "./storefrontApi.server";
import { sendJson } from "./respond.server";
import type { Router } from "./router.server";

/** A signed proxy request older (or further in the future) than this is refused: a replayed URL stops working. */
export const PROXY_MAX_AGE_SECONDS = 300;

/**
 * The Shopify app proxy: the storefront's `/apps/<prefix>/...` arrives here as `/proxy/...`
 * with `shop`, `timestamp` and `signature` added by Shopify. The theme block reads availability
 * and holds the cart's stock through it.
 */
export function registerAppProxy(router: Router, deps: StockEdgeDeps & { secrets: string[]; ratePerSecond: number }): void {
  const answers = stockAnswers(deps.services);
  const now = deps.now ?? Date.now;
  // Its own allowance per shop, apart from the shop's API token: storefront traffic cannot starve the shop's backend calls.
  const limit = perShopRateLimit(deps.ratePerSecond, now);
  const shopOf = async (url: URL, req: IncomingMessage): Promise<Shop> => {
    verifyAppProxySignature(url.searchParams, deps.secrets, now());
    const shop = await findShopByDomain(deps.prisma, "shopify", url.searchParams.get("shop") ?? "");
    if (!shop || shop.installState !== "installed") throw new LockstepError("unknown_shop", "This shop has not installed Lockstep", 404);
    limit(shop.id, req);
    return shop;
  };
  const json = { "cache-control": "no-store" };

  router.on("GET", "/proxy/availability", async ({ req, res, url }) => {
    sendJson(res, 200, await answers.availability(await shopOf(url, req), url), json);
  });
  router.on("POST", "/proxy/reservations", async ({ req, res, url }) => {
    const shop = await shopOf(url, req).catch((error: unknown) => {
      req.resume();
      throw error;
    });
    const { status, body } = await answers.reserve(shop, await jsonBody(req));
    sendJson(res, status, body, json);
  });
  router.on("GET", "/proxy/reservations/:id", async ({ req, res, url, params }) => {
    sendJson(res, 200, await answers.get(await shopOf(url, req), params.id!), json);
  });
  // A shopper's cart can give its hold back or keep it longer; committing is the order's business (webhook).
  router.on("POST", "/proxy/reservations/:id/:action", async ({ req, res, url, params }) => {
    const shop = await shopOf(url, req).catch((error: unknown) => {
      req.resume();
      throw error;
    });
    if (params.action !== "extend" && params.action !== "release") {
      req.resume();
      throw new LockstepError("not_found", `Unknown action ${params.action}: use extend or release`, 404);
    }
    sendJson(res, 200, await answers.act(shop, params.id!, params.action, await jsonBody(req, true)), json);
  });
}

/**
 * Shopify's app proxy signature: hex HMAC-SHA256, keyed with the app's secret, of every query
 * parameter but `signature`, sorted by name, each as `name=value` (several values joined by `,`),
 * concatenated with no separator. `secrets` holds the current secret and, during a rotation, the previous one.
 */
export function verifyAppProxySignature(params: URLSearchParams, secrets: string[], nowMs: number): void {
  const signature = params.get("signature");
  if (!signature) throw new LockstepError("invalid_signature", "The app proxy signature is missing", 401);
  const message = appProxyMessage(params);
  const given = Buffer.from(signature, "hex");
  const valid = secrets.some((secret) => {
    const expected = createHmac("sha256", secret).update(message).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new LockstepError("invalid_signature", "The app proxy signature does not match", 401);
  const timestamp = Number(params.get("timestamp"));
  if (!Number.isFinite(timestamp) || Math.abs(nowMs / 1000 - timestamp) > PROXY_MAX_AGE_SECONDS) {
    throw new LockstepError("stale_request", `The app proxy request is older than ${PROXY_MAX_AGE_SECONDS} s (or its timestamp is wrong)`, 401);
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
