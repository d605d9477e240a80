import http from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { clientAddress } from "../../app/http/clientAddress.server";
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

/** A login form posted from `localAddress` (any 127.x address reaches the server as a different client). */
function login(password: string, localAddress = "127.0.0.2", next = "/app", headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  const body = new URLSearchParams({ password, next }).toString();
  const { port } = new URL(server().url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, path: "/login", method: "POST", localAddress, headers: { ...BROWSER, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), ...headers } },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

describe("standalone admin login", () => {
  it("sends a visitor without the login cookie to /login", async () => {
    const response = await fetch(`${server().url}/app`, { headers: BROWSER, redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?next=%2Fapp");
  });

  it("refuses a wrong password with 401 and sets no cookie", async () => {
    const response = await login("not the password", "127.0.0.2");
    expect(response.status).toBe(401);
    expect(response.headers["set-cookie"]).toBeUndefined();
  });

  it("logs in with the password and shows the demo shop's stock", async () => {
    const response = await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "127.0.0.3");
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe("/app");
    const cookie = response.headers["set-cookie"]![0]!.split(";")[0]!;
    expect(response.headers["set-cookie"]![0]).toMatch(/HttpOnly/i);
    const page = await fetch(`${server().url}/app`, { headers: { ...BROWSER, cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const text of ["Lockstep Demo Outfitters", "demo-shop.myshopify.com", "PACK-40-GRN", "Main warehouse", "Downtown store"]) expect(html).toContain(text);

    const logout = await fetch(`${server().url}/logout`, { method: "POST", headers: { ...BROWSER, cookie }, redirect: "manual" });
    expect(logout.status).toBe(302);
    expect(logout.headers.get("set-cookie")).toMatch(/lockstep_staff=;/);
  });

  it("never redirects off-site after login, however the target is spelt", async () => {
    for (const next of ["//evil.example.com/x", "/\\evil.example.com", "/%5Cevil.example.com", "/%2F%2Fevil.example.com"]) {
      const response = await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "127.0.0.4", next);
      expect(response.headers.location, next).toBe("/app");
    }
    const offSite = [
      "https://evil.example.com",
      "//evil.example.com",
      "/\\evil.example.com",
      "\\\\evil.example.com",
      "/%5cevil.example.com",
      "/%2f%2fevil.example.com",
      "/%252f%252fevil.example.com",
      "%2F%2Fevil.example.com",
      "/\tevil.example.com",
      "/\t/evil.example.com",
      "javascript:alert(1)",
      "/app/../../evil",
      "/login",
      "",
      null,
    ];
    for (const next of offSite) expect(safeNext(next), String(next)).toBe("/app");
    expect(safeNext("/app/reservations?x=1")).toBe("/app/reservations?x=1");
    expect(safeNext("/app")).toBe("/app");
  });

  it("slows down password guessing per client address, whatever X-Forwarded-For it sends", async () => {
    for (let i = 0; i < 5; i += 1) expect((await login(`guess-${i}`, "127.0.0.5")).status).toBe(401);
    const blocked = await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "127.0.0.5");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    // No proxy is trusted: a made-up forwarded address does not open a new bucket.
    expect((await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "127.0.0.5", "/app", { "x-forwarded-for": "10.9.8.7" })).status).toBe(429);
    // Another client (without any forwarded header) is not locked out by the guesser.
    expect((await login(STANDALONE_ENV.LOCKSTEP_ADMIN_PASSWORD, "127.0.0.6")).status).toBe(302);
  });
});

describe("clientAddress", () => {
  const request = (remoteAddress: string, forwardedFor?: string) =>
    ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor } }) as unknown as http.IncomingMessage;

  it("is the socket's peer unless that peer is a trusted proxy", () => {
    expect(clientAddress(request("::ffff:203.0.113.7", "10.0.0.1"), [])).toBe("203.0.113.7");
    expect(clientAddress(request("203.0.113.7", "10.0.0.1"), ["192.0.2.1"])).toBe("203.0.113.7");
  });

  it("behind a trusted proxy, is the nearest forwarded address that is not a trusted proxy", () => {
    const proxies = ["192.0.2.1", "192.0.2.2"];
    expect(clientAddress(request("192.0.2.1", "198.51.100.9"), proxies)).toBe("198.51.100.9");
    // What the client wrote itself (left) is not believed; the hop the proxy saw is.
    expect(clientAddress(request("192.0.2.1", "10.0.0.1, 198.51.100.9"), proxies)).toBe("198.51.100.9");
    expect(clientAddress(request("192.0.2.1", "198.51.100.9, 192.0.2.2"), proxies)).toBe("198.51.100.9");
    expect(clientAddress(request("192.0.2.1", "not-an-address"), proxies)).toBe("192.0.2.1");
    expect(clientAddress(request("192.0.2.1"), proxies)).toBe("192.0.2.1");
  });
});

describe("createLoginThrottle", () => {
  it("lets a client try again when the window has passed", () => {
    let now = 0;
    const throttle = createLoginThrottle({ clock: { now: () => now }, maxFailures: 2, windowMs: 1000 });
    throttle.recordFailure("a");
    expect(throttle.retryAfterSeconds("a")).toBe(0);
    throttle.recordFailure("a");
    expect(throttle.retryAfterSeconds("a")).toBe(1);
    now = 1000;
    expect(throttle.retryAfterSeconds("a")).toBe(0);
  });

  it("stays bounded: expired clients are dropped, and the oldest when every entry is live", () => {
    let now = 0;
    const throttle = createLoginThrottle({ clock: { now: () => now }, maxFailures: 2, windowMs: 1000, maxClients: 100 });
    for (let i = 0; i < 100; i++) throttle.recordFailure(`old-${i}`);
    now = 2000;
    throttle.recordFailure("new");
    expect(throttle.size).toBe(1);
    for (let i = 0; i < 500; i++) throttle.recordFailure(`spray-${i}`);
    expect(throttle.size).toBeLessThanOrEqual(100);
    throttle.recordFailure("spray-499");
    expect(throttle.retryAfterSeconds("spray-499")).toBe(1);
  });
});
