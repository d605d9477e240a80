import type { IncomingMessage, ServerResponse } from "node:http";
import { LockstepError } from "../config/errors";
import type { PrismaClient, Shop } from "../generated/prisma/client";
import type { AppContext } from "../context.server";
import type { StockServices } from "../reservations/stockServices.server";
import type { ItemAvailability } from "../availability/availability.server";
import { TokenBucket } from "../outbound/tokenBucket";
import type { Reservation, ReserveInput } from "../reservations/reservations.server";
import { apiTokenVerifier, type TokenAuthDeps } from "./apiTokenAuth.server";
import { parseJsonObject, readBody, sendJson } from "./respond.server";
import { parseActionBody, parseAvailabilityQuery, parseReserveBody, type ReserveBody } from "./storefrontInput.server";
import type { RouteHandler, Router } from "./router.server";
import { isDatabaseUnavailable } from "../db/unavailable";
import { log } from "../observability/log.server";
import { isShopperKey } from "../reservations/shopperHolds.server";
import { type Clock, systemClock } from "../config/clock";

/** Request bodies of the storefront APIs are small carts: anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface StockEdgeDeps {
  services: Pick<StockServices, "availability" | "reservations" | "settings">;
  prisma: PrismaClient;
  /** Injected so tests control time (rate limits count its milliseconds). */
  clock?: Pick<Clock, "now">;
}

/** The storefront edges' dependencies in the running process (edges.server.ts registers both with them). */
export function stockEdgeDeps(context: AppContext): StockEdgeDeps & TokenAuthDeps & { ratePerSecond: number; secrets: string[] } {
  return {
    services: context.stock,
    prisma: context.db.prisma,
    apiTokens: context.apiTokens,
    ratePerSecond: context.config.storefrontRateLimit,
    unauthenticatedPerSecond: context.config.clients.unauthenticatedRateLimit,
    trustedProxies: context.config.clients.trustedProxies,
    secrets: [context.config.shopifyApiSecret, ...(context.config.shopifyPreviousApiSecret ? [context.config.shopifyPreviousApiSecret] : [])],
  };
}

/**
 * What the storefront edges answer, shared by `/api/v1` (API token) and `/proxy` (app proxy
 * signature): they differ only in how they find the shop.
 */
export function stockAnswers(services: StockEdgeDeps["services"]) {
  return {
    async availability(shop: Shop, url: URL): Promise<unknown> {
      const query = parseAvailabilityQuery(url.searchParams);
      if (query.sku.length > 0) return { items: await services.availability.bySku(shop.id, query.sku, { locationId: query.location }) };
      return services.availability.page(shop.id, { limit: query.limit, cursor: query.cursor, locationId: query.location });
    },
    /**
     * The availability answer when all of it is in this process's cache (SKUs asked for, no
     * location), else undefined: the same answer `availability` gives, without a promise.
     */
    cachedAvailability(shop: Shop, url: URL): { items: ItemAvailability[] } | undefined {
      const query = parseAvailabilityQuery(url.searchParams);
      if (query.sku.length === 0 || query.location !== undefined) return undefined;
      const items = services.availability.cachedBySku(shop.id, query.sku);
      return items && { items };
    },
    async reserve(shop: Shop, body: Record<string, unknown>, res: ServerResponse): Promise<{ status: number; body: unknown }> {
      const input = reserveInput(parseReserveBody(body));
      if (isShopperKey(input.key)) throw new LockstepError("invalid_key", "Keys starting with proxy: belong to holds placed through the online store");
      const { reservation, created } = await services.reservations.reserve(shop.id, input, { signal: callerGone(res) });
      return { status: created ? 201 : 200, body: publicReservation(reservation) };
    },
    async get(shop: Shop, id: string) {
      return publicReservation(await services.reservations.get(shop.id, id));
    },
    async act(shop: Shop, id: string, action: string, body: Record<string, unknown>): Promise<unknown> {
      const input = parseActionBody(body);
      switch (action) {
        case "extend":
          return publicReservation(await services.reservations.extend(shop.id, id, input.ttlSeconds ?? undefined));
        case "release":
          return publicReservation(await services.reservations.release(shop.id, id, input.reason ?? "released"));
        case "commit":
          return publicReservation(await services.reservations.commit(shop.id, id, { orderExternalId: input.orderId ?? undefined }));
        default:
          throw new LockstepError("not_found", `Unknown action ${action}`);
      }
    },
  };
}

/** The reservation as the APIs show it: exactly these fields. */
export function publicReservation(r: Reservation) {
  return { id: r.id, key: r.key, status: r.status, expiresAt: r.expiresAt, lines: r.lines };
}

/**
 * `/api/v1/availability` and `/api/v1/reservations[...]` for headless and BigCommerce storefronts,
 * authenticated with the shop's API token and limited per shop (429 beyond `ratePerSecond`).
 */
export function registerStorefrontApi(router: Router, deps: StockEdgeDeps & TokenAuthDeps & { ratePerSecond: number }): void {
  const answers = stockAnswers(deps.services);
  const on = storefrontRoutes(router);
  const authenticate = tokenAuthenticator(deps);
  const json = { "cache-control": "no-store" };

  on("GET", "/api/v1/availability", ({ req, res, url }) => {
    // A remembered token and a cached answer (the storefront's usual question) are answered in
    // this tick: no lookup and no promise, which is most of what such a request cost.
    const remembered = authenticate.remembered(req);
    const cached = remembered && answers.cachedAvailability(remembered, url);
    if (cached) {
      sendJson(res, 200, cached, json);
      return;
    }
    return answerAvailability(req, res, url, remembered);
  });
  async function answerAvailability(req: IncomingMessage, res: ServerResponse, url: URL, remembered: Shop | undefined): Promise<void> {
    // A remembered shop was already counted against its limit.
    const shop = remembered ?? (await authenticate(req));
    sendJson(res, 200, await answers.availability(shop, url), json);
  }
  on("POST", "/api/v1/reservations", async ({ req, res }) => {
    const shop = await authenticate(req);
    const { status, body } = await answers.reserve(shop, await jsonBody(req), res);
    sendJson(res, status, body, json);
  });
  on("GET", "/api/v1/reservations/:id", async ({ req, res, params }) => {
    const shop = await authenticate(req);
    sendJson(res, 200, await answers.get(shop, params.id!), json);
  });
  on("POST", "/api/v1/reservations/:id/:action", async ({ req, res, params }) => {
    const shop = await authenticate(req);
    if (!["extend", "release", "commit"].includes(params.action!)) {
      req.resume();
      throw new LockstepError("not_found", `Unknown action ${params.action}: use extend, release or commit`);
    }
    sendJson(res, 200, await answers.act(shop, params.id!, params.action!, await jsonBody(req, true)), json);
  });
}

/**
 * Registers storefront routes: a database that cannot be reached or does not answer in time is a
 * 503 with Retry-After the storefront may try again after (never a 500); the 503 of a full
 * reservation line carries its Retry-After the same way.
 */
export function storefrontRoutes(router: Router): (method: string, path: string, handler: RouteHandler) => void {
  return (method, path, handler) =>
    router.on(method, path, (request) => {
      // Not async: a handler that answers synchronously stays without a promise.
      let answered: Promise<void> | void;
      try {
        answered = handler(request);
      } catch (error) {
        throw storefrontError(error);
      }
      return answered?.catch((error: unknown) => {
        throw storefrontError(error);
      });
    });
}

const STOREFRONT_RETRY_AFTER_SECONDS = 1;

function storefrontError(error: unknown): unknown {
  let answer = error;
  if (isDatabaseUnavailable(error)) {
    log.warn("storefront: database unavailable", { error: error instanceof Error ? error.message : String(error) });
    answer = new LockstepError("storefront_unavailable", "Stock cannot be read or held right now: try again in a moment", { retryAfterSeconds: STOREFRONT_RETRY_AFTER_SECONDS });
  }
  // sendError answers with its Retry-After.
  return answer;
}

/** Aborts once the caller's connection closes before the answer went out: its queued work is dropped. */
export function callerGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export async function jsonBody(req: IncomingMessage, optional = false): Promise<Record<string, unknown>> {
  const raw = await readBody(req, MAX_BODY_BYTES);
  if (optional && raw.length === 0) return {};
  return parseJsonObject(raw);
}

/**
 * A per-shop request allowance of this process: `ratePerSecond`, bursts up to twice that. Throws
 * 429 `rate_limited` (draining the request body) beyond it. One shop's storm cannot take the
 * database from the others.
 */
export function perShopRateLimit(ratePerSecond: number, clock: Pick<Clock, "now">): (shopId: string, req: IncomingMessage) => void {
  const buckets = new Map<string, TokenBucket>();
  return (shopId, req) => {
    let bucket = buckets.get(shopId);
    if (!bucket) buckets.set(shopId, (bucket = new TokenBucket({ capacity: ratePerSecond * 2, refillPerSecond: ratePerSecond }, clock)));
    if (!bucket.tryTake(1)) {
      req.resume();
      throw new LockstepError("rate_limited", `More than ${ratePerSecond} requests per second for this shop: slow down`);
    }
  };
}

/** The API token check and per-shop limit of every `/api/v1` route (prices use it too). */
export function tokenAuthenticator(deps: TokenAuthDeps & { ratePerSecond: number }) {
  const verify = apiTokenVerifier(deps);
  const limit = perShopRateLimit(deps.ratePerSecond, deps.clock ?? systemClock);
  const authenticate = async (req: IncomingMessage): Promise<Shop> => {
    const shop = await verify(req);
    limit(shop.id, req);
    return shop;
  };
  return Object.assign(authenticate, {
    /**
     * The shop when the request's token is remembered as working, counted against the shop's limit
     * (429 beyond it) like `authenticate`, without a lookup or a promise; undefined when the token
     * must be looked up (then call `authenticate`).
     */
    remembered(req: IncomingMessage): Shop | undefined {
      const shop = verify.remembered(req);
      if (shop) limit(shop.id, req);
      return shop;
    },
  });
}

export function reserveInput(body: ReserveBody): ReserveInput {
  return { key: body.key, lines: body.lines, ttlSeconds: body.ttlSeconds ?? undefined, locationId: body.location ?? undefined };
}
