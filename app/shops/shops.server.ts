import { createHash, randomBytes } from "node:crypto";
import { LockstepError } from "../config/errors";
import type { Platform, PrismaClient, Shop } from "../generated/prisma/client";
import { parseStoreHash } from "./platformIdentity";
import type { Clock } from "../config/clock";

const TOKEN_PREFIX = "lst_";

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A Shopify shop is `name.myshopify.com`; a BigCommerce one is `stores/{hash}`. */
export function normaliseShopDomain(platform: Platform, domain: string): string {
  const value = domain.trim().toLowerCase();
  const valid = platform === "shopify" ? /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(value) : parseStoreHash(value) !== undefined;
  if (!valid) {
    const expected = platform === "shopify" ? "<name>.myshopify.com" : "stores/<store_hash>";
    throw new LockstepError("invalid_shop_domain", `"${domain}" is not a ${platform} shop (expected ${expected})`);
  }
  return value;
}

/** Records an install (or a re-install: the shop keeps its data and becomes active again). */
export async function installShop(
  prisma: PrismaClient,
  input: { platform: Platform; domain: string; scopes?: string; name?: string },
  now: Date = new Date(),
): Promise<Shop> {
  const domain = normaliseShopDomain(input.platform, input.domain);
  return prisma.shop.upsert({
    where: { platform_domain: { platform: input.platform, domain } },
    create: { platform: input.platform, domain, scopes: input.scopes ?? "", name: input.name ?? domain, installedAt: now },
    update: { installState: "installed", uninstalledAt: null, installedAt: now, ...(input.scopes !== undefined && { scopes: input.scopes }) },
  });
}

/** Stops all work for the shop; its data stays until the platform asks for redaction (a running process also calls `forgetRememberedTokens`). */
export async function uninstallShop(prisma: PrismaClient, shopId: string, now: Date = new Date()): Promise<void> {
  await prisma.shop.update({ where: { id: shopId }, data: { installState: "uninstalled", uninstalledAt: now } });
}

export async function findShopByDomain(prisma: PrismaClient, platform: Platform, domain: string): Promise<Shop | null> {
  return prisma.shop.findUnique({ where: { platform_domain: { platform, domain: domain.trim().toLowerCase() } } });
}

/**
 * Gives the shop a new server-to-server API token (the old one stops working) and returns it:
 * the only time it is seen in clear. Pass `token` to install a known one (the demo's). A running
 * process then calls `forgetRememberedTokens` so the edges stop honouring the old one at once.
 */
export async function issueApiToken(prisma: PrismaClient, shopId: string, token: string = TOKEN_PREFIX + randomBytes(24).toString("base64url")): Promise<string> {
  if (token.length < 24) throw new LockstepError("weak_api_token", "An API token needs at least 24 characters");
  await prisma.shop.update({ where: { id: shopId }, data: { apiTokenHash: hashApiToken(token), apiTokenPrefix: token.slice(0, 8) } });
  return token;
}

/** The installed shop a Bearer token belongs to, or a 401. */
export async function authenticateApiToken(prisma: PrismaClient, authorization: string | undefined): Promise<Shop> {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) throw new LockstepError("missing_token", "Send the shop's API token as `Authorization: Bearer <token>`");
  // The stored value is a hash, so the lookup leaks nothing about tokens by timing.
  const shop = await prisma.shop.findUnique({ where: { apiTokenHash: hashApiToken(token) } });
  if (!shop || shop.installState !== "installed") throw invalidToken();
  return shop;
}

// Token checks remembered by `rememberingApiTokens` hold the epoch they were made in; any token
// change (replaced, or a shop uninstalled) starts a new epoch, so every memo is checked again —
// changes are rare, a lookup is cheap. One per process, in its context (app/context.server.ts): the
// settings page and the uninstall subscriber change it, the edges read it. `tell` (set by
// tokenChanges.server.ts, with Redis) tells the other processes.
export interface ApiTokenChanges {
  epoch: number;
  tell?: (shopId: string) => void;
}

export function createApiTokenChanges(): ApiTokenChanges {
  return { epoch: 0 };
}

/** Drops what every process remembers of API tokens: the shop's was replaced, or the shop uninstalled. */
export function forgetRememberedTokens(changes: ApiTokenChanges, shopId: string): void {
  forgetRememberedTokensHere(changes);
  changes.tell?.(shopId);
}

/** Drops what this process remembers of API tokens (another process changed one). */
export function forgetRememberedTokensHere(changes: ApiTokenChanges): void {
  changes.epoch++;
}

/**
 * `authenticateApiToken` that remembers a token that worked for `memoryMs`: the lookup costs more
 * than a whole cached availability answer. A token replaced or a shop uninstalled through this
 * process stops working at once; through another process (another web instance, the worker applying
 * `app/uninstalled`), as soon as the change reaches this one through Redis (tokenChanges.server.ts),
 * and without Redis within `memoryMs`. A token that did not work is remembered for `missMemoryMs`
 * (until any token changes), so a client repeating a bogus token does not reach the database again.
 * `beforeLookup` runs only when the database is about to be asked (a per-client limit goes there).
 */
export function rememberingApiTokens(prisma: PrismaClient, options: { changes: ApiTokenChanges; memoryMs: number; missMemoryMs?: number; clock: Pick<Clock, "now">; maxEntries?: number }) {
  const tokenChanges = options.changes;
  const known = new Map<string, { shop: Shop; until: number; epoch: number }>();
  const misses = new Map<string, { until: number; epoch: number }>();
  const maxEntries = options.maxEntries ?? 10_000;
  const missMemoryMs = options.missMemoryMs ?? 0;
  /** The shop of a token remembered as working, without a lookup or a promise; undefined when that would take one. */
  const remembered = (authorization: string | undefined): Shop | undefined => {
    const memo = known.get(memoKeyOf(authorization));
    return memo && memo.until > options.clock.now() && memo.epoch === tokenChanges.epoch ? memo.shop : undefined;
  };
  const verify = async (authorization: string | undefined, beforeLookup?: () => void): Promise<Shop> => {
    const shop = remembered(authorization);
    if (shop) return shop;
    const memoKey = memoKeyOf(authorization);
    const miss = misses.get(memoKey);
    if (miss && miss.until > options.clock.now() && miss.epoch === tokenChanges.epoch) throw invalidToken();
    if (authorization) beforeLookup?.();
    // The epoch before the lookup: a change made while it ran leaves this memo already stale.
    const epoch = tokenChanges.epoch;
    let found: Shop;
    try {
      found = await authenticateApiToken(prisma, authorization);
    } catch (error) {
      if (missMemoryMs > 0 && error instanceof LockstepError && error.code === "invalid_token") {
        if (misses.size >= maxEntries) misses.clear();
        misses.set(memoKey, { until: options.clock.now() + missMemoryMs, epoch });
      }
      throw error;
    }
    misses.delete(memoKey);
    if (known.size >= maxEntries) known.clear();
    known.set(memoKey, { shop: found, until: options.clock.now() + options.memoryMs, epoch });
    return found;
  };
  return Object.assign(verify, { remembered });
}

// A header of a real token's size is its own key (a hash per request cost more than the rest of a
// cached answer's lookup); a longer one is hashed, so a flood of huge bogus headers stays small.
const RAW_MEMO_KEY_MAX = 128;

function memoKeyOf(authorization: string | undefined): string {
  if (!authorization) return "";
  return authorization.length <= RAW_MEMO_KEY_MAX ? `raw:${authorization}` : `sha:${hashApiToken(authorization)}`;
}

function invalidToken(): LockstepError {
  return new LockstepError("invalid_token", "The API token is not valid");
}
