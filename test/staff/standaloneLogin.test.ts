import { beforeAll, describe, expect, it } from "vitest";
import { seedDemoShop } from "../../app/demo/seed.server";
import { createLoginThrottle, safeNext } from "../../app/staff/localLogin.server";
import { requireAdminBuild } from "../helpers/build";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";

const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36" };

beforeAll(() => requireAdminBuild());

const server = useTestServer({
  beforeListen: async ({ db }) => {
    await seedDemoShop(db.prisma, { apiToken: "lst_test_token_0123456789abcdef" });
  },
});

async function login(password: string, forwardedFor = "10.0.0.1", next = "/app") {
  return fetch(`${server().url}/login`, {
    method: "POST",
    headers: { ...BROWSER, "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": forwardedFor },
    body: new URLSearchParams({ password, next }),
    redirect: "manual",
  });
}

describe("standalone admin login", () => {
  it("sends a visitor without the login cookie to /login", async () => {
    const response = await fetch(`${server().url}/app`, { headers: BROWSER, redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?next=%2Fapp");
  });

  it("refuses a wrong password with 401 and sets no cookie", async () => {
    const response = await login("not the password", "10.0.0.2");
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("logs in with the password and shows the demo shop's stock", async () => {
    const response = await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "10.0.0.3");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/app");
    const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
    expect(response.headers.get("set-cookie")).toMatch(/HttpOnly/i);
    const page = await fetch(`${server().url}/app`, { headers: { ...BROWSER, cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const text of ["Lockstep Demo Outfitters", "demo-shop.myshopify.com", "PACK-40-GRN", "Main warehouse", "Downtown store"]) expect(html).toContain(text);

    const logout = await fetch(`${server().url}/logout`, { method: "POST", headers: { ...BROWSER, cookie }, redirect: "manual" });
    expect(logout.status).toBe(302);
    expect(logout.headers.get("set-cookie")).toMatch(/lockstep_staff=;/);
  });

  it("never redirects off-site after login", async () => {
    const response = await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "10.0.0.4", "//evil.example.com/x");
    expect(response.headers.get("location")).toBe("/app");
    expect(safeNext("https://evil.example.com")).toBe("/app");
    expect(safeNext("/app/reservations?x=1")).toBe("/app/reservations?x=1");
  });

  it("slows down password guessing: the sixth failure in a minute gets 429", async () => {
    for (let i = 0; i < 5; i += 1) expect((await login(`guess-${i}`, "10.0.0.5")).status).toBe(401);
    const blocked = await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "10.0.0.5");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "10.0.0.6")).status).toBe(302);
  });
});

describe("createLoginThrottle", () => {
  it("lets a client try again when the window has passed", () => {
    let now = 0;
    const throttle = createLoginThrottle(() => now, 2, 1000);
    throttle.recordFailure("a");
    expect(throttle.retryAfterSeconds("a")).toBe(0);
    throttle.recordFailure("a");
    expect(throttle.retryAfterSeconds("a")).toBe(1);
    now = 1000;
    expect(throttle.retryAfterSeconds("a")).toBe(0);
  });
});
