import type { IncomingMessage } from "node:http";
import { LockstepError } from "../config/errors";
import type { PrismaClient, Shop } from "../generated/prisma/client";
import { type ApiTokenChanges, createApiTokenChanges, rememberingApiTokens } from "../shops/shops.server";
import { clientAddress } from "./clientAddress.server";
import { keyedRateLimit } from "./keyedRateLimit.server";
import { type Clock, systemClock } from "../config/clock";

// A token that worked is trusted for this long in this process unless it is replaced here: the
// lookup costs more than the whole cached availability answer (see rememberingApiTokens).
const TOKEN_MEMORY_MS = 10_000;
// A token that did not work is refused without a lookup for this long (bogus tokens sent again and again).
const MISS_MEMORY_MS = 30_000;
// Per-client allowances kept at most; past it the least recently seen address is forgotten first.
const MAX_CLIENTS = 10_000;

export interface TokenAuthDeps {
  prisma: PrismaClient;
  /** The process's token changes (a replaced token stops at once); a private one when absent (tests). */
  apiTokens?: ApiTokenChanges;
  /** Token lookups per second one client address may cause (twice that in a burst): before the database is asked. */
  unauthenticatedPerSecond?: number;
  /** Proxies whose X-Forwarded-For names the client (app/http/clientAddress.server.ts). */
  trustedProxies?: readonly string[];
  clock?: Pick<Clock, "now">;
}

/**
 * The shop a storefront API request's Bearer token belongs to. A known token is remembered, a bogus
 * one too (briefly), and a client may cause only so many lookups before it gets 429 with the seconds
 * to wait: a flood of bogus tokens reaches the database a bounded number of times and leaves it to
 * everyone else (on PGlite, one connection shared with the webhooks).
 */
export function apiTokenVerifier(deps: TokenAuthDeps): ApiTokenVerifier {
  const clock = deps.clock ?? systemClock;
  const verify = rememberingApiTokens(deps.prisma, { changes: deps.apiTokens ?? createApiTokenChanges(), memoryMs: TOKEN_MEMORY_MS, missMemoryMs: MISS_MEMORY_MS, clock });
  const perClient = perClientLimit(deps.unauthenticatedPerSecond ?? 20, clock);
  const trustedProxies = deps.trustedProxies ?? [];
  return Object.assign((req: IncomingMessage) => verify(req.headers.authorization, () => perClient(clientAddress(req, trustedProxies), req)), {
    remembered: (req: IncomingMessage) => verify.remembered(req.headers.authorization),
  });
}

export interface ApiTokenVerifier {
  (req: IncomingMessage): Promise<Shop>;
  /** The shop when the request's token is remembered as working (no lookup, no promise), else undefined. */
  remembered(req: IncomingMessage): Shop | undefined;
}

/** Token lookups per client address: `ratePerSecond`, bursts up to twice that, 429 beyond (draining the body). */
function perClientLimit(ratePerSecond: number, clock: Pick<Clock, "now">): (client: string, req: IncomingMessage) => void {
  const waitFor = keyedRateLimit({ ratePerSecond, clock, maxKeys: MAX_CLIENTS });
  return (client, req) => {
    const retryAfterSeconds = waitFor(client);
    if (retryAfterSeconds !== undefined) {
      req.resume();
      throw new LockstepError("rate_limited", `More than ${ratePerSecond} requests per second from this address with tokens not yet checked: slow down`, { retryAfterSeconds });
    }
  };
}
