import type { Shop } from "../generated/prisma/client";
import type { PriceLookup } from "../prices/lookup.server";
import type { TokenAuthDeps } from "./apiTokenAuth.server";
import { sendJson } from "./respond.server";
import type { Router } from "./router.server";
import { storefrontRoutes, tokenAuthenticator } from "./storefrontApi.server";
import { parsePricesQuery } from "./storefrontInput.server";

/** What `/api/v1/prices` and `/proxy/prices` answer: the same items, whichever way the shop was found. */
export async function pricesAnswer(prices: PriceLookup, shop: Shop, url: URL) {
  const query = parsePricesQuery(url.searchParams);
  return { items: await prices.prices(shop.id, query.sku, { list: query.list, at: query.at }) };
}

/**
 * `GET /api/v1/prices?sku=…&sku=…&list=…&at=…` for headless storefronts and checkouts: the API
 * token and per-shop limit of `/api/v1/availability` (401 without a valid token, 429 beyond it).
 */
export function registerPricesApi(router: Router, deps: TokenAuthDeps & { ratePerSecond: number; prices: PriceLookup }): void {
  const on = storefrontRoutes(router);
  const authenticate = tokenAuthenticator(deps);
  on("GET", "/api/v1/prices", async ({ req, res, url }) => {
    const shop = await authenticate(req);
    sendJson(res, 200, await pricesAnswer(deps.prices, shop, url), { "cache-control": "no-store" });
  });
}
