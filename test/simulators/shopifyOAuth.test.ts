import "@shopify/shopify-api/adapters/node";
import { ApiVersion, HttpResponseError, RequestedTokenType, shopifyApi } from "@shopify/shopify-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { ID_TOKEN_TYPE, OFFLINE_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from "../../simulators/shopify/oauth";
import { SHOPIFY_HOSTS, usePlatformHosts } from "../helpers/platformHosts";
import { sessionToken } from "../helpers/sessionToken";

const SHOP = "oauth-test.myshopify.com";
const APP = { apiKey: "oauth-api-key", apiSecret: "oauth-api-secret", scopes: "read_products,read_inventory" };
// The simulator's clock runs `offsetMs` ahead of the real one: tokens expire without waiting.
let offsetMs = 0;
let sim: ShopifySimulator;

beforeAll(async () => {
  sim = await startShopifySimulator({ clock: { now: () => Date.now() + offsetMs }, app: APP, shops: [{ domain: SHOP }] });
});
afterAll(async () => {
  await sim.close();
});
usePlatformHosts(() => [{ host: SHOPIFY_HOSTS, to: sim.url }]);

// Shopify's own library, as Lockstep configures it: what it sends and how it reads the answers is the contract.
const api = shopifyApi({
  apiKey: APP.apiKey,
  apiSecretKey: APP.apiSecret,
  apiVersion: ApiVersion.October26,
  hostName: "lockstep.example.com",
  isEmbeddedApp: true,
  scopes: APP.scopes.split(","),
  logger: { level: 0 },
  future: {},
});

const token = (overrides: Partial<Parameters<typeof sessionToken>[0]> = {}) => sessionToken({ shop: SHOP, apiKey: APP.apiKey, secret: APP.apiSecret, ...overrides });

async function adminQuery(accessToken: string): Promise<number> {
  const response = await fetch(`https://${SHOP}/admin/api/2026-10/graphql.json`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-shopify-access-token": accessToken },
    body: JSON.stringify({ query: "{ shop { myshopifyDomain } }" }),
  });
  return response.status;
}

async function tokenEndpoint(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`https://${SHOP}/admin/oauth/access_token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const exchangeBody = (overrides: Record<string, unknown> = {}) => ({
  client_id: APP.apiKey,
  client_secret: APP.apiSecret,
  grant_type: TOKEN_EXCHANGE_GRANT,
  subject_token: token(),
  subject_token_type: ID_TOKEN_TYPE,
  requested_token_type: OFFLINE_TOKEN_TYPE,
  ...overrides,
});

describe("the simulated Shopify token endpoint, reached at https://{shop}/admin/oauth/access_token", () => {
  it("exchanges a session token for an expiring offline token with a refresh token, which the Admin API accepts", async () => {
    const { session } = await api.auth.tokenExchange({ shop: SHOP, sessionToken: token(), requestedTokenType: RequestedTokenType.OfflineAccessToken, expiring: true });
    expect(session.id).toBe(`offline_${SHOP}`);
    expect(session.isOnline).toBe(false);
    expect(session.scope).toBe(APP.scopes);
    expect(session.refreshToken).toMatch(/^shprt_/);
    expect(session.expires!.getTime() - Date.now()).toBeGreaterThan(3_500_000);
    expect(await adminQuery(session.accessToken!)).toBe(200);
  });

  it("exchanges for a non-expiring offline token when not asked to expire", async () => {
    const { session } = await api.auth.tokenExchange({ shop: SHOP, sessionToken: token(), requestedTokenType: RequestedTokenType.OfflineAccessToken, expiring: false });
    expect(session.expires).toBeUndefined();
    expect(session.refreshToken).toBeUndefined();
    expect(await adminQuery(session.accessToken!)).toBe(200);
  });

  it("exchanges for an online token carrying the staff user of the session token", async () => {
    const { session } = await api.auth.tokenExchange({ shop: SHOP, sessionToken: token({ userId: 7 }), requestedTokenType: RequestedTokenType.OnlineAccessToken });
    expect(session.isOnline).toBe(true);
    expect(session.onlineAccessInfo?.associated_user.id).toBe(7);
    expect(session.id).toBe(`${SHOP}_7`);
  });

  it("refreshes an expired offline token; the refresh token is spent once used", async () => {
    const { session } = await api.auth.tokenExchange({ shop: SHOP, sessionToken: token(), requestedTokenType: RequestedTokenType.OfflineAccessToken, expiring: true });
    offsetMs = 2 * 3_600_000;
    try {
      expect(await adminQuery(session.accessToken!)).toBe(401);
      const { session: refreshed } = await api.auth.refreshToken({ shop: SHOP, refreshToken: session.refreshToken! });
      expect(refreshed.accessToken).not.toBe(session.accessToken);
      expect(refreshed.refreshToken).not.toBe(session.refreshToken);
      expect(await adminQuery(refreshed.accessToken!)).toBe(200);
      const again = await api.auth.refreshToken({ shop: SHOP, refreshToken: session.refreshToken! }).catch((error: unknown) => error);
      expect(again).toBeInstanceOf(HttpResponseError);
      expect((again as HttpResponseError).response.code).toBe(400);
      expect((again as HttpResponseError).response.body).toMatchObject({ error: "invalid_grant" });
    } finally {
      offsetMs = 0;
    }
  });

  it("answers a session token signed with another secret 400 invalid_subject_token (what the library turns into a retry)", async () => {
    const answer = await tokenEndpoint(exchangeBody({ subject_token: token({ secret: "not-the-secret" }) }));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: "invalid_subject_token" });
  });

  it("refuses expired session tokens and tokens made for another app or another shop", async () => {
    const expired = await tokenEndpoint(exchangeBody({ subject_token: token({ nowMs: Date.now() - 120_000 }) }));
    expect(expired).toMatchObject({ status: 400, body: { error: "invalid_subject_token", error_description: expect.stringMatching(/expired/) } });
    const otherApp = await tokenEndpoint(exchangeBody({ subject_token: token({ apiKey: "another-app" }) }));
    expect(otherApp).toMatchObject({ status: 400, body: { error: "invalid_subject_token", error_description: expect.stringMatching(/another app/) } });
    const otherShop = await tokenEndpoint(exchangeBody({ subject_token: token({ shop: "elsewhere.myshopify.com" }) }));
    expect(otherShop).toMatchObject({ status: 400, body: { error: "invalid_subject_token", error_description: expect.stringMatching(/another shop/) } });
    expect(await tokenEndpoint(exchangeBody({ subject_token: "not-a-jwt" }))).toMatchObject({ status: 400, body: { error: "invalid_subject_token" } });
  });

  it("refuses wrong client credentials 401 invalid_client, and unknown grants or token types 400", async () => {
    expect(await tokenEndpoint(exchangeBody({ client_secret: "wrong" }))).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    expect(await tokenEndpoint(exchangeBody({ grant_type: "password" }))).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
    expect(await tokenEndpoint(exchangeBody({ requested_token_type: "urn:other" }))).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    expect(await tokenEndpoint(exchangeBody({ subject_token_type: "urn:other" }))).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    const notJson = await fetch(`https://${SHOP}/admin/oauth/access_token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(notJson.status).toBe(400);
  });

  it("accepts the form-encoded body too, and answers an unknown shop 404", async () => {
    const form = await fetch(`https://${SHOP}/admin/oauth/access_token`, { method: "POST", body: new URLSearchParams(exchangeBody() as Record<string, string>) });
    expect(form.status).toBe(200);
    const unknown = await fetch("https://nobody.myshopify.com/admin/oauth/access_token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(exchangeBody()) });
    expect(unknown.status).toBe(404);
  });

  it("stops every token of the shop when the merchant uninstalls", async () => {
    const { session } = await api.auth.tokenExchange({ shop: SHOP, sessionToken: token(), requestedTokenType: RequestedTokenType.OfflineAccessToken, expiring: true });
    sim.uninstallApp(SHOP);
    expect(await adminQuery(session.accessToken!)).toBe(401);
    const refresh = await tokenEndpoint({ client_id: APP.apiKey, client_secret: APP.apiSecret, grant_type: "refresh_token", refresh_token: session.refreshToken });
    expect(refresh).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("never lets a request leave for a host no simulator stands for", async () => {
    await expect(fetch("https://example.com/")).rejects.toThrow();
  });
});
