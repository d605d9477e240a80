import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { hookRegistration, storeWebhookSecret } from "../../app/platforms/bigcommerce/hooks";
import { verifyBigCommerceDelivery, verifySignedPayloadJwt } from "../../app/webhooks/bigcommerce";
import { SHOPIFY_TOPICS } from "../../app/webhooks/normalise/shopify";
import { parsePlatformJson } from "../../app/webhooks/json";
import { isValidShopifyHmac, shopifyHmac, verifyShopifyDelivery } from "../../app/webhooks/shopify";
import { signBigCommerceDelivery, signedPayloadJwt } from "../../simulators/webhooks/bigcommerce";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";

const SECRET = "current-secret";
const OLD = "previous-secret";

describe("Shopify HMAC", () => {
  const body = Buffer.from(JSON.stringify(shopifyPayload("orders/create")));

  it("accepts the current and the previous secret, nothing else", () => {
    expect(isValidShopifyHmac(body, shopifyHmac(SECRET, body), [SECRET, OLD])).toBe(true);
    expect(isValidShopifyHmac(body, shopifyHmac(OLD, body), [SECRET, OLD])).toBe(true);
    expect(isValidShopifyHmac(body, shopifyHmac(OLD, body), [SECRET])).toBe(false);
    expect(isValidShopifyHmac(body, shopifyHmac("other", body), [SECRET, OLD])).toBe(false);
  });

  it("is computed on the raw bytes: re-serialised JSON, a truncated or non-base64 signature fail", () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    expect(isValidShopifyHmac(reserialised, shopifyHmac(SECRET, body), [SECRET])).toBe(false);
    expect(isValidShopifyHmac(body, shopifyHmac(SECRET, body).slice(0, 20), [SECRET])).toBe(false);
    expect(isValidShopifyHmac(body, "%%%not-base64%%%", [SECRET])).toBe(false);
    expect(isValidShopifyHmac(body, undefined, [SECRET])).toBe(false);
  });

  it("reads the documented headers, with the shop domain lower-cased", () => {
    const delivery = signShopifyDelivery({ secret: SECRET, shopDomain: "Mixed-Case.myshopify.com", topic: "orders/create", payload: "{}", eventId: "evt-1", triggeredAt: new Date("2026-11-27T10:00:00Z") });
    expect(verifyShopifyDelivery(Buffer.from(delivery.body), delivery.headers, [SECRET])).toEqual({
      topic: "orders/create",
      shopDomain: "mixed-case.myshopify.com",
      webhookId: delivery.headers["x-shopify-webhook-id"],
      apiVersion: "2026-10",
      eventId: "evt-1",
      triggeredAt: new Date("2026-11-27T10:00:00Z"),
    });
  });
});

describe("BigCommerce Standard Webhooks", () => {
  const sign = (input: Partial<Parameters<typeof signBigCommerceDelivery>[0]> = {}) =>
    signBigCommerceDelivery({ clientSecret: SECRET, storeHash: "abc123", scope: "store/product/updated", data: { type: "product", id: 1 }, ...input });

  it("verifies the signature and the store secret, and reads the thin payload", () => {
    const delivery = sign({ createdAt: new Date("2026-11-27T10:00:00Z"), hash: "352e4afc" });
    expect(verifyBigCommerceDelivery(Buffer.from(delivery.body), delivery.headers, SECRET)).toMatchObject({
      scope: "store/product/updated",
      storeHash: "abc123",
      hash: "352e4afc",
      createdAt: new Date("2026-11-27T10:00:00Z"),
      data: { type: "product", id: 1 },
    });
  });

  it("rejects another key, a replayed (stale) or future timestamp, a tampered body, and another store's secret", () => {
    const reject = (delivery: { body: string; headers: Record<string, string> }) => {
      expect(() => verifyBigCommerceDelivery(Buffer.from(delivery.body), delivery.headers, SECRET)).toThrow(expect.objectContaining({ status: 401 }));
    };
    reject(sign({ clientSecret: "other" }));
    reject(sign({ signedAt: new Date(Date.now() - 6 * 60_000) }));
    reject(sign({ signedAt: new Date(Date.now() + 6 * 60_000) }));
    const tampered = sign();
    reject({ ...tampered, body: tampered.body.replace('"id":1', '"id":2') });
    reject(sign({ storeSecret: storeWebhookSecret(SECRET, "otherstore") }));
  });
});

describe("subscriptions", () => {
  it("shopify.app.toml subscribes exactly the topics Lockstep normalises, to /webhooks/shopify", () => {
    const toml = readFileSync(new URL("../../shopify.app.toml", import.meta.url), "utf8");
    const declared = [...toml.matchAll(/"([a-z_]+\/[a-z_]+)"/g)].map((match) => match[1]);
    expect([...new Set(declared)].sort()).toEqual([...SHOPIFY_TOPICS].sort());
    expect([...toml.matchAll(/uri = "([^"]+)"/g)].map((match) => match[1])).toEqual(["/webhooks/shopify", "/webhooks/shopify"]);
  });

  it("a BigCommerce hook registered with hookRegistration carries the header its deliveries are checked against", () => {
    const body = hookRegistration(SECRET, "abc123", "store/product/updated", "https://lockstep.example.com/webhooks/bigcommerce");
    expect(body).toMatchObject({ scope: "store/product/updated", destination: "https://lockstep.example.com/webhooks/bigcommerce", is_active: true });
    const delivery = signBigCommerceDelivery({ clientSecret: SECRET, storeHash: "abc123", scope: body.scope, data: { type: "product", id: 1 }, storeSecret: null });
    const echoed = { ...delivery.headers, ...body.headers };
    expect(verifyBigCommerceDelivery(Buffer.from(delivery.body), echoed, SECRET).storeHash).toBe("abc123");
  });
});

describe("signed_payload_jwt", () => {
  const now = new Date();
  const token = (claims: Record<string, unknown> = {}, more: Partial<Parameters<typeof signedPayloadJwt>[0]> = {}) =>
    signedPayloadJwt({ clientSecret: SECRET, clientId: "app", storeHash: "abc123", claims, ...more });
  const seconds = Math.floor(now.getTime() / 1000);

  it("accepts a token for this app and reads the store, the user, its id and expiry", async () => {
    const jwt = signedPayloadJwt({ clientSecret: SECRET, clientId: "app", storeHash: "abc123", userId: 7 });
    const claims = await verifySignedPayloadJwt(jwt, SECRET, "app", now);
    expect(claims).toMatchObject({ storeHash: "abc123", userId: "7" });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.expiresAt.getTime()).toBeGreaterThan(now.getTime());
  });

  it("rejects a wrong key, another app, an expired token, alg none and garbage", async () => {
    const cases = [
      signedPayloadJwt({ clientSecret: "other", clientId: "app", storeHash: "abc123" }),
      signedPayloadJwt({ clientSecret: SECRET, clientId: "another", storeHash: "abc123" }),
      signedPayloadJwt({ clientSecret: SECRET, clientId: "app", storeHash: "abc123", issuedAt: new Date(now.getTime() - 2 * 86_400_000) }),
      signedPayloadJwt({ clientSecret: SECRET, clientId: "app", storeHash: "abc123", algorithm: "none" }),
      signedPayloadJwt({ clientSecret: SECRET, clientId: "app", storeHash: "abc123", algorithm: "HS512" }),
      "not.a.jwt",
      "garbage",
      undefined,
    ];
    for (const jwt of cases) await expect(verifySignedPayloadJwt(jwt, SECRET, "app", now)).rejects.toMatchObject({ status: 401 });
  });

  it("requires exp, iat, jti and a store, and refuses tokens BigCommerce would not issue", async () => {
    const cases: Record<string, string> = {
      "no exp": token({ exp: undefined }),
      "no iat": token({ iat: undefined }),
      "no jti": token({ jti: undefined }),
      "jti not a string": token({ jti: 42 }),
      "no sub": token({ sub: undefined }),
      "sub not a store": token({ sub: "users/1" }),
      "no aud": token({ aud: undefined }),
      "issued in the future": token({ iat: seconds + 3600, nbf: seconds + 3600 - 5, exp: seconds + 3600 + 86_400 }),
      "not valid yet": token({ nbf: seconds + 3600 }),
      "valid for a year": token({ exp: seconds + 365 * 86_400 }),
    };
    for (const [why, jwt] of Object.entries(cases)) {
      await expect(verifySignedPayloadJwt(jwt, SECRET, "app", now), why).rejects.toMatchObject({ status: 401, code: "invalid_signature" });
    }
  });

  it("refuses every token when no BigCommerce app is configured (no audience to check)", async () => {
    await expect(verifySignedPayloadJwt(token(), SECRET, undefined, now)).rejects.toMatchObject({ status: 401 });
  });
});

describe("platform JSON", () => {
  it("keeps ids beyond 2^53 exact", () => {
    expect(parsePlatformJson('{"id": 271878346596884015, "line_items": [{"variant_id": 642667041472713922, "quantity": 2}]}')).toEqual({
      id: "271878346596884015",
      line_items: [{ variant_id: "642667041472713922", quantity: 2 }],
    });
  });
});
