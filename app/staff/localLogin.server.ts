import { timingSafeEqual, createHash } from "node:crypto";
import { createCookieSessionStorage, redirect } from "@remix-run/node";
import type { Config } from "../config/config.server";
import { type Clock, systemClock } from "../config/clock";

// The standalone mode's login: one staff password, a signed HTTP-only cookie. It exists so the
// admin can be seen and tested without a Shopify account; production always runs embedded.

// Signing only (no state): each copy of this module (the server entry's, the Remix build's) may keep its own.
let cookies: { secret: string; storage: ReturnType<typeof makeStorage> } | undefined;

function makeStorage(config: Config) {
  return createCookieSessionStorage<{ staff: true }>({
    cookie: {
      name: "lockstep_staff",
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      secure: config.nodeEnv === "production",
      secrets: [config.sessionSecret],
      maxAge: 60 * 60 * 12,
    },
  });
}

function storage(config: Config) {
  if (cookies?.secret !== config.sessionSecret) cookies = { secret: config.sessionSecret, storage: makeStorage(config) };
  return cookies.storage;
}

export function passwordMatches(config: Config, candidate: string): boolean {
  if (!config.adminPassword) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(candidate), digest(config.adminPassword));
}

export async function isLoggedIn(config: Config, request: Request): Promise<boolean> {
  const session = await storage(config).getSession(request.headers.get("cookie"));
  return session.get("staff") === true;
}

const ADMIN_HOME = "/app";
const PROBE_ORIGIN = "http://lockstep.invalid";

/**
 * Where to go after login: only a path of the admin on this site. Anything a browser could read as
 * another site — `//host`, `/\host`, `\\host`, their percent-encoded forms, `javascript:`,
 * absolute URLs — or a path outside the admin goes to the admin's home instead.
 */
export function safeNext(next: string | null): string {
  if (!next || next.length > 2048 || !next.startsWith("/")) return ADMIN_HOME;
  let decoded = next;
  for (let i = 0; i < 3; i++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return ADMIN_HOME;
    }
  }
  // Browsers read a backslash as a slash and drop tabs and newlines inside URLs.
  if (decoded.includes("\\") || [...decoded].some((c) => c <= "\u001f" || c === "\u007f") || decoded.startsWith("//")) return ADMIN_HOME;
  const url = new URL(next, PROBE_ORIGIN);
  if (url.origin !== PROBE_ORIGIN) return ADMIN_HOME;
  if (url.pathname !== ADMIN_HOME && !url.pathname.startsWith(`${ADMIN_HOME}/`)) return ADMIN_HOME;
  return url.pathname + url.search + url.hash;
}

export async function logIn(config: Config, next: string | null): Promise<Response> {
  const store = storage(config);
  const session = await store.getSession();
  session.set("staff", true);
  return redirect(safeNext(next), { headers: { "set-cookie": await store.commitSession(session) } });
}

export async function logOut(config: Config, request: Request): Promise<Response> {
  const store = storage(config);
  const session = await store.getSession(request.headers.get("cookie"));
  return redirect("/login", { headers: { "set-cookie": await store.destroySession(session) } });
}

/**
 * Failed logins per client address, so the password cannot be guessed at speed: after five failures
 * in a window the client waits until the window ends. Other clients are not affected. The map stays
 * bounded: expired entries are dropped as it grows, and past `maxClients` the oldest go first.
 */
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

export function createLoginThrottle(options: { clock?: Pick<Clock, "now">; maxFailures?: number; windowMs?: number; maxClients?: number } = {}) {
  const { clock = systemClock, maxFailures = 5, windowMs = 60_000, maxClients = 10_000 } = options;
  const failures = new Map<string, { count: number; resetAt: number }>();
  const prune = (): void => {
    const time = clock.now();
    for (const [client, entry] of failures) if (entry.resetAt <= time) failures.delete(client);
    // Still full of live entries (a spray from many addresses): forget the oldest.
    for (const client of failures.keys()) {
      if (failures.size < maxClients) break;
      failures.delete(client);
    }
  };
  return {
    retryAfterSeconds(client: string): number {
      const entry = failures.get(client);
      if (!entry || entry.resetAt <= clock.now() || entry.count < maxFailures) return 0;
      return Math.ceil((entry.resetAt - clock.now()) / 1000);
    },
    recordFailure(client: string): void {
      const entry = failures.get(client);
      if (entry && entry.resetAt > clock.now()) {
        entry.count += 1;
        return;
      }
      failures.delete(client);
      if (failures.size >= maxClients) prune();
      failures.set(client, { count: 1, resetAt: clock.now() + windowMs });
    },
    reset(client: string): void {
      failures.delete(client);
    },
    /** How many clients are remembered (tests of the bound). */
    get size(): number {
      return failures.size;
    },
  };
}
