import { beforeAll, describe, expect, it } from "vitest";
import { installShop, uninstallShop } from "../../app/shops/shops.server";
import { signedPayloadJwt } from "../../simulators/webhooks/bigcommerce";
import { requireAdminBuild } from "../helpers/build";
import { BROWSER_HEADERS, EMBEDDED_ENV, useTestServer } from "../helpers/server";

const CLIENT_ID = "bc-client-id";
const CLIENT_SECRET = "bc-client-secret-for-the-staff-tests";

// Embedded mode (a Shopify app is configured too): one deployment serves both platforms, and a
// BigCommerce staff member must not be sent to Shopify's login.
beforeAll(() => requireAdminBuild());
const server = useTestServer({
  env: { ...EMBEDDED_ENV, BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET },
  beforeListen: async ({ db }) => {
    await installShop(db.prisma, { platform: "bigcommerce", domain: "stores/staff1" });
    await installShop(db.prisma, { platform: "bigcommerce", domain: "stores/leaving" });
  },
});

async function openFromControlPanel(storeHash: string): Promise<Response> {
  const jwt = signedPayloadJwt({ clientSecret: CLIENT_SECRET, clientId: CLIENT_ID, storeHash, userId: 4242 });
  return fetch(`${server().url}/auth/bigcommerce/load?signed_payload_jwt=${jwt}`, { headers: BROWSER_HEADERS, redirect: "manual" });
}

const page = (path: string, cookie?: string, init: RequestInit = {}) =>
  fetch(`${server().url}${path}`, { ...init, headers: { ...BROWSER_HEADERS, ...(cookie && { cookie }), ...(init.headers ?? {}) }, redirect: "manual" });

describe("the admin opened from BigCommerce's control panel", () => {
  it("opens this store's admin from the load callback, where staff create the storefront API token", async () => {
    const load = await openFromControlPanel("staff1");
    expect(load.status).toBe(302);
    expect(load.headers.get("location")).toBe("/app");
    const cookie = load.headers.get("set-cookie")!.split(";")[0]!;
    expect(cookie).toMatch(/^lockstep_bigcommerce_staff=/);

    const dashboard = await page("/app", cookie);
    expect(dashboard.status).toBe(200);
    // BigCommerce's control panel may frame it; nothing else may.
    expect(dashboard.headers.get("content-security-policy")).toMatch(/frame-ancestors https:\/\/\*\.mybigcommerce\.com https:\/\/\*\.bigcommerce\.com(;|$)/);
    expect(await dashboard.text()).toContain("stores/staff1");
    expect(await (await page("/app/settings", cookie)).text()).not.toContain("Standalone demo");

    const created = await page("/app/settings", cookie, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "api-token" }),
    });
    expect(created.status).toBe(200);
    const token = (await created.text()).match(/lst_[A-Za-z0-9_-]{32}/)?.[0];
    expect(token).toBeDefined();
    const availability = await fetch(`${server().url}/api/v1/availability`, { headers: { authorization: `Bearer ${token}` } });
    expect(availability.status).toBe(200);
    expect(await availability.json()).toEqual({ items: [], nextCursor: null });

    // The cookie goes with cross-site requests too (the control panel frames the admin): another
    // site's form cannot use it to change anything.
    const tokenHash = async () => (await server().context.db.prisma.shop.findFirstOrThrow({ where: { domain: "stores/staff1" } })).apiTokenHash;
    const before = await tokenHash();
    const post = (headers: Record<string, string>) =>
      page("/app/settings", cookie, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams({ intent: "api-token" }) });
    expect((await post({ "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await post({ "sec-fetch-site": "same-site" })).status).toBe(403);
    // A foreign or opaque Origin without Sec-Fetch-Site (an older browser): Remix's own guard
    // refuses it before the action runs.
    expect((await post({ origin: "null" })).ok).toBe(false);
    expect((await post({ origin: "https://attacker.example" })).ok).toBe(false);
    expect(await tokenHash()).toBe(before);
    const ownPage = await page("/app/settings", cookie, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", origin: server().url },
      body: new URLSearchParams({ intent: "api-token" }),
    });
    expect(ownPage.status).toBe(200);
    expect(await tokenHash()).not.toBe(before);
  });

  it("refuses a forged or missing cookie (sent to Shopify's auth, as any visitor), and a store that uninstalled since", async () => {
    const forged = await page("/app", "lockstep_bigcommerce_staff=eyJzaG9wSWQiOiJ4In0%3D.forged");
    expect(forged.status).not.toBe(200);
    expect(await forged.text()).not.toContain("stores/");

    const load = await openFromControlPanel("leaving");
    const cookie = load.headers.get("set-cookie")!.split(";")[0]!;
    expect((await page("/app", cookie)).status).toBe(200);
    const shop = await server().context.db.prisma.shop.findFirstOrThrow({ where: { domain: "stores/leaving" } });
    await uninstallShop(server().context.db.prisma, shop.id);
    const after = await page("/app/settings", cookie);
    expect(after.status).toBe(403);
    expect(await after.text()).toContain("no longer has Lockstep installed");
    // And the load callback no longer opens it.
    expect((await openFromControlPanel("leaving")).status).toBe(404);
  });

  it("does not hand out a cookie for a store that never installed Lockstep, or for a bad signature", async () => {
    const stranger = await openFromControlPanel("nobody");
    expect(stranger.status).toBe(404);
    expect(stranger.headers.get("set-cookie")).toBeNull();
    const forged = signedPayloadJwt({ clientSecret: "not-the-secret", clientId: CLIENT_ID, storeHash: "staff1" });
    const refused = await fetch(`${server().url}/auth/bigcommerce/load?signed_payload_jwt=${forged}`, { redirect: "manual" });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("set-cookie")).toBeNull();
  });
});

describe("the admin inside Shopify (embedded mode)", () => {
  it("may be framed by Shopify's admin and the shop's own, with the rest of the CSP", async () => {
    const response = await page("/app?shop=staff-shop.myshopify.com&embedded=1&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvc3RhZmYtc2hvcA");
    const csp = response.headers.get("content-security-policy");
    expect(csp).toContain("frame-ancestors https://admin.shopify.com https://staff-shop.myshopify.com");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'unsafe-inline' https://cdn.shopify.com");
  });
});
