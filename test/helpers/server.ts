import { afterAll, beforeAll } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import type { Database } from "../../app/db/database.server";
import { seedDemoShop } from "../../app/demo/seed.server";
import { type RunningLockstep, startLockstep, type StartOptions } from "../../server/app";
import { requireAdminBuild } from "./build";
import { createTestDatabase } from "./database";

export const STANDALONE_ENV = {
  NODE_ENV: "test",
  HOST: "127.0.0.1",
  PORT: "0",
  SHOPIFY_API_SECRET: "test-shopify-secret",
  LOCKSTEP_ADMIN_PASSWORD: "correct horse battery",
  LOCKSTEP_SESSION_SECRET: "a-session-secret-of-at-least-32-chars!!",
};

export const EMBEDDED_ENV = {
  ...STANDALONE_ENV,
  SHOPIFY_API_KEY: "test-api-key",
  SHOPIFY_APP_URL: "https://lockstep.example.com",
  SCOPES: "read_products,read_inventory",
};

/**
 * The whole Lockstep HTTP server in this process, on a free port, with its own fresh database.
 * Pass `build: false` to test only the edges (no admin build needed).
 */
export function useTestServer(options: { env?: Record<string, string>; build?: boolean } & Partial<Pick<StartOptions, "beforeListen" | "background">> = {}) {
  let running: RunningLockstep | undefined;
  let db: Database | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    running = await startLockstep({
      config: loadConfig(options.env ?? STANDALONE_ENV),
      db,
      buildDir: options.build === false ? "/nonexistent" : undefined,
      background: options.background ?? false,
      beforeListen: options.beforeListen,
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await running?.close();
    await db?.close();
  });
  return () => {
    if (!running) throw new Error("the server starts in beforeAll");
    return running;
  };
}

export const BROWSER_HEADERS = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" };

/** Logs in to the standalone admin and returns the cookie to send with later requests. */
export async function standaloneLogin(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login`, {
    method: "POST",
    headers: { ...BROWSER_HEADERS, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ password: STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, next: "/app" }),
    redirect: "manual",
  });
  if (response.status !== 302) throw new Error(`login failed with ${response.status}`);
  return response.headers.get("set-cookie")!.split(";")[0]!;
}

/**
 * The whole app on the admin build, the demo shop seeded, staff logged in: what the admin pages'
 * tests start from. `cookie()` is the login's session cookie.
 */
export function useDemoAdmin() {
  beforeAll(() => requireAdminBuild());
  const server = useTestServer({
    beforeListen: async ({ db }) => {
      await seedDemoShop(db.prisma, { apiToken: "lst_test_token_0123456789abcdef" });
    },
  });
  let cookie: string | undefined;
  beforeAll(async () => {
    cookie = await standaloneLogin(server().url);
  });
  return {
    server,
    cookie: () => {
      if (!cookie) throw new Error("staff log in in beforeAll");
      return cookie;
    },
  };
}
