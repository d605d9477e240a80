import { createHmac, randomUUID } from "node:crypto";
import { Session } from "@shopify/shopify-api";
import { beforeAll, describe, expect, it } from "vitest";
import { PrismaSessionStorage } from "../../app/shops/sessionStorage.server";
import { installShop } from "../../app/shops/shops.server";
import { requireAdminBuild } from "../helpers/build";
import { EMBEDDED_ENV, useTestServer } from "../helpers/server";

const SHOP = "embedded-test.myshopify.com";
const HOST = Buffer.from(`admin.shopify.com/store/embedded-test`).toString("base64url");
const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" };

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A session token as App Bridge makes it: HS256 with the app's secret, one minute of life. */
function sessionToken(secret = EMBEDDED_ENV.SHOPIFY_API_SECRET): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url({ alg: "HS256", typ: "JWT" });
  const payload = base64url({
    iss: `https://${SHOP}/admin`,
    dest: `https://${SHOP}`,
    aud: EMBEDDED_ENV.SHOPIFY_API_KEY,
    sub: "42",
    exp: now + 60,
    nbf: now - 5,
    iat: now - 5,
    jti: randomUUID(),
    sid: randomUUID(),
  });
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

beforeAll(() => requireAdminBuild());

const server = useTestServer({
  env: EMBEDDED_ENV,
  beforeListen: async ({ db, config }) => {
    await installShop(db.prisma, { platform: "shopify", domain: SHOP, name: "Embedded Test Shop", scopes: EMBEDDED_ENV.SCOPES });
    // An installed app has an offline session from token exchange; with it no call to Shopify is needed.
    await new PrismaSessionStorage(db.prisma, config.encryptionKey).storeSession(
      new Session({ id: `offline_${SHOP}`, shop: SHOP, state: "", isOnline: false, scope: EMBEDDED_ENV.SCOPES, accessToken: "shpat_test", expires: new Date(Date.now() + 86_400_000) }),
    );
  },
});

describe("/app in embedded mode", () => {
  it("sends a document request without a session token to the bounce page", async () => {
    const response = await fetch(`${server().url}/app?embedded=1&shop=${SHOP}&host=${HOST}`, { headers: BROWSER, redirect: "manual" });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location")!, server().url);
    expect(location.pathname).toBe("/auth/session-token");
    expect(location.searchParams.get("shop")).toBe(SHOP);
  });

  it("sends a request from outside the Shopify admin into the admin", async () => {
    const response = await fetch(`${server().url}/app?shop=${SHOP}&host=${HOST}`, { headers: BROWSER, redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(/^https:\/\/admin\.shopify\.com\/store\/embedded-test\/apps\/test-api-key/);
  });

  it("answers a fetch with an invalid session token 401 with the retry header", async () => {
    const response = await fetch(`${server().url}/app`, { headers: { ...BROWSER, authorization: `Bearer ${sessionToken("wrong-secret")}` }, redirect: "manual" });
    expect(response.status).toBe(401);
    expect(response.headers.get("x-shopify-retry-invalid-session-request")).toBe("1");
  });

  it("answers bots 410 like Shopify's library does", async () => {
    const response = await fetch(`${server().url}/app?embedded=1&shop=${SHOP}&host=${HOST}`, { headers: { "user-agent": "curl/8.0" }, redirect: "manual" });
    expect(response.status).toBe(410);
  });

  it("renders the dashboard for a valid session token", async () => {
    const response = await fetch(`${server().url}/app?embedded=1&shop=${SHOP}&host=${HOST}&id_token=${sessionToken()}`, { headers: BROWSER, redirect: "manual" });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Embedded Test Shop");
    expect(html).toContain(SHOP);
    const frameAncestors = /frame-ancestors ([^;]*)/.exec(response.headers.get("content-security-policy") ?? "")?.[1]?.split(" ");
    expect(frameAncestors).toEqual(expect.arrayContaining([`https://${SHOP}`, "https://admin.shopify.com"]));
  });

  it("sends /login to Shopify's login in embedded mode", async () => {
    const response = await fetch(`${server().url}/login`, { headers: BROWSER, redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/auth/login");
  });
});
