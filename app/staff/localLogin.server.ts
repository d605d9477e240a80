import { timingSafeEqual, createHash } from "node:crypto";
import { createCookieSessionStorage, redirect } from "@remix-run/node";
import type { Config } from "../config/config.server";

// The standalone mode's login: one staff password, a signed HTTP-only cookie. It exists so the
// admin can be seen and tested without a Shopify account; production always runs embedded.

const cookieSlot = globalThis as { __lockstepStaffCookies?: { secret: string; storage: ReturnType<typeof makeStorage> } };

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
  if (cookieSlot.__lockstepStaffCookies?.secret !== config.sessionSecret) {
    cookieSlot.__lockstepStaffCookies = { secret: config.sessionSecret, storage: makeStorage(config) };
  }
  return cookieSlot.__lockstepStaffCookies.storage;
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

/** Only same-site paths are followed after login: no open redirects. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/app";
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
 * Failed logins per client, so the password cannot be guessed at speed: after five failures in
 * a window the client waits until the window ends.
 */
export function createLoginThrottle(now: () => number = Date.now, maxFailures = 5, windowMs = 60_000) {
  const failures = new Map<string, { count: number; resetAt: number }>();
  return {
    retryAfterSeconds(client: string): number {
      const entry = failures.get(client);
      if (!entry || entry.resetAt <= now() || entry.count < maxFailures) return 0;
      return Math.ceil((entry.resetAt - now()) / 1000);
    },
    recordFailure(client: string): void {
      const entry = failures.get(client);
      if (!entry || entry.resetAt <= now()) failures.set(client, { count: 1, resetAt: now() + windowMs });
      else entry.count += 1;
    },
    reset(client: string): void {
      failures.delete(client);
    },
  };
}
