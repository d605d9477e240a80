import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signAppProxyParams } from "../../app/http/appProxy.server";
import { signBigCommerceDelivery, signedPayloadJwt } from "../../simulators/webhooks/bigcommerce";
import { signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { STANDALONE_ENV } from "../helpers/server";
import {
  anyRequest,
  API_TOKEN,
  BIGCOMMERCE_CLIENT_ID,
  BIGCOMMERCE_CLIENT_SECRET,
  body,
  expectDocumentedAnswer,
  FUZZ_PARAMETERS,
  type FuzzRequest,
  headers,
  segment,
  send,
  storedState,
  useFuzzServer,
} from "./fuzzServer";

// Properties over every edge of a real running server (see fuzzServer.ts for what each answer must be).
const { server, cookie } = useFuzzServer();

/** Sends one request and checks the answer; a rejected request must have stored nothing. */
async function check(request: FuzzRequest): Promise<void> {
  const before = await storedState(server().context.db);
  const answer = await send(server().url, request);
  expectDocumentedAnswer(request, answer);
  if (answer.status >= 400) expect(await storedState(server().context.db), `${request.method} ${request.target} → ${answer.status}`).toEqual(before);
}

async function expectAlive(): Promise<void> {
  expect((await fetch(`${server().url}/healthz`)).status).toBe(200);
}

const run = (arbitrary: fc.Arbitrary<FuzzRequest>) => fc.assert(fc.asyncProperty(arbitrary, check), FUZZ_PARAMETERS);

// Any code point where the storefront edges read text (NUL and other control characters included),
// and numbers far beyond the columns' range: each is a 400 naming the field, never a database error.
const storefrontText = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30, unit: "binary" }), fc.constantFrom("TENT-UL-2P", "PACK-40-GRN", "SHOE-TR-42", "", "TENT\u0000UL"));
const storefrontInteger = fc.oneof(fc.integer({ min: -5, max: 50 }), fc.integer(), fc.maxSafeInteger());

const reservationBody = fc
  .record(
    {
      key: storefrontText,
      lines: fc.oneof(fc.array(fc.record({ sku: storefrontText, quantity: storefrontInteger }, { requiredKeys: [] }), { maxLength: 4 }), fc.constantFrom(null, "x", 3)),
      ttlSeconds: fc.oneof(storefrontInteger, fc.constantFrom(null, "60", 1.5)),
    },
    { requiredKeys: [] },
  )
  .map((value) => Buffer.from(JSON.stringify(value)));

describe("fuzzing every edge of a running Lockstep", () => {
  it("answers any request to any path with a documented status, a JSON error on the edges, and stores nothing when it refuses", async () => {
    // The valid API token is left to the storefront property below (it would hold the demo shop's stock).
    await run(anyRequest.filter((request) => request.headers.authorization !== `Bearer ${API_TOKEN}`));
    await expectAlive();
  });

  it("answers signed and unsigned Shopify webhooks with any payload (JSON or not), topic and shop", async () => {
    const delivery = fc.record({
      // A string is sent as it is: a correctly signed body that is not a JSON object is a 400, nothing stored.
      payload: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 40 })),
      topic: fc.oneof(fc.constantFrom("orders/create", "orders/cancelled", "inventory_levels/update", "products/update", "app/uninstalled", "customers/redact"), fc.string({ maxLength: 20 })),
      shopDomain: fc.constantFrom("demo-shop.myshopify.com", "nobody.myshopify.com", "x"),
      signed: fc.boolean(),
    });
    await run(
      delivery.map(({ payload, topic, shopDomain, signed }) => {
        const { body: text, headers: signedHeaders } = signShopifyDelivery({ secret: signed ? STANDALONE_ENV.SHOPIFY_API_SECRET : "wrong", shopDomain, topic: topic.replace(/[^\x20-\x7e]/g, "?"), payload });
        return { method: "POST", target: "/webhooks/shopify", headers: signedHeaders, body: Buffer.from(text) };
      }),
    );
    await expectAlive();
  });

  it("answers signed and unsigned BigCommerce webhooks with any data, scope and store", async () => {
    const delivery = fc.record({
      data: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      scope: fc.oneof(fc.constantFrom("store/product/updated", "store/order/created", "store/app/uninstalled"), fc.string({ maxLength: 20 })),
      storeHash: fc.oneof(fc.constantFrom("abc123", "zzz"), fc.stringMatching(/^[a-z0-9]{0,10}$/)),
      signed: fc.boolean(),
      signedAt: fc.integer({ min: -3600, max: 3600 }),
    });
    await run(
      delivery.map(({ data, scope, storeHash, signed, signedAt }) => {
        const delivered = signBigCommerceDelivery({ clientSecret: signed ? BIGCOMMERCE_CLIENT_SECRET : "wrong", storeHash, scope, data, signedAt: new Date(Date.now() + signedAt * 1000) });
        return { method: "POST", target: "/webhooks/bigcommerce", headers: delivered.headers, body: Buffer.from(delivered.body) };
      }),
    );
    await expectAlive();
  });

  it("answers the storefront API with its token and any reservation, extension or lookup", async () => {
    const auth = { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" };
    const request = fc.oneof(
      fc.record({ method: fc.constant("POST"), target: fc.constant("/api/v1/reservations"), headers: fc.constant(auth), body: reservationBody }),
      fc.record({
        method: fc.constantFrom("GET", "POST"),
        target: fc.tuple(segment, fc.constantFrom("extend", "release", "commit", "x")).map(([id, action]) => `/api/v1/reservations/${id}/${action}`),
        headers: fc.constant(auth),
        body: reservationBody,
      }),
      fc.record({
        method: fc.constant("GET"),
        target: fc.array(storefrontText, { maxLength: 5 }).map((skus) => `/api/v1/availability?${skus.map((sku) => `sku=${encodeURIComponent(sku)}`).join("&")}`),
        headers: fc.constant(auth),
        body: fc.constant(Buffer.alloc(0)),
      }),
    );
    await run(request);
    await expectAlive();
  });

  it("answers signed and unsigned app proxy calls with any shopper, SKU and body", async () => {
    const call = fc.record({
      path: fc.constantFrom("/proxy/availability", "/proxy/reservations", "/proxy/reservations/x", "/proxy/reservations/x/release"),
      shop: fc.constantFrom("demo-shop.myshopify.com", "nobody.myshopify.com"),
      customer: fc.option(storefrontText, { nil: undefined }),
      skus: fc.array(storefrontText, { maxLength: 3 }),
      age: fc.integer({ min: -600, max: 600 }),
      signed: fc.boolean(),
      body: reservationBody,
    });
    await run(
      call.map(({ path, shop, customer, skus, age, signed, body: payload }) => {
        const params = new URLSearchParams({ shop, path_prefix: "/apps/lockstep", timestamp: String(Math.floor(Date.now() / 1000) + age) });
        if (customer !== undefined) params.set("logged_in_customer_id", customer);
        for (const sku of skus) params.append("sku", sku);
        const signedParams = signAppProxyParams(params, signed ? STANDALONE_ENV.SHOPIFY_API_SECRET : "wrong");
        const method = path === "/proxy/availability" || path === "/proxy/reservations/x" ? "GET" : "POST";
        return { method, target: `${path}?${signedParams}`, headers: { "content-type": "application/json" }, body: method === "GET" ? Buffer.alloc(0) : payload };
      }),
    );
    await expectAlive();
  });

  it("answers BigCommerce's load, uninstall and install callbacks with any token or code", async () => {
    const callback = fc.record({
      path: fc.constantFrom("load", "uninstall", "callback"),
      jwt: fc.oneof(
        segment,
        fc.record({ storeHash: fc.stringMatching(/^[a-z0-9]{0,8}$/), secret: fc.constantFrom(BIGCOMMERCE_CLIENT_SECRET, "wrong"), algorithm: fc.constantFrom("HS256", "none", "HS512") }).map(({ storeHash, secret, algorithm }) =>
          signedPayloadJwt({ clientSecret: secret, clientId: BIGCOMMERCE_CLIENT_ID, storeHash, algorithm }),
        ),
      ),
      code: segment,
      context: fc.oneof(segment, fc.stringMatching(/^stores\/[a-z0-9]{0,6}$/)),
    });
    await run(
      callback.map(({ path, jwt, code, context }) => ({
        method: "GET",
        // The install callback's code exchange would call BigCommerce: its context is never valid here, so nothing leaves this machine.
        target: path === "callback" ? `/auth/bigcommerce/callback?code=${code}&scope=x&context=${context.replace(/^stores/, "shops")}` : `/auth/bigcommerce/${path}?signed_payload_jwt=${jwt}`,
        headers: {},
        body: Buffer.alloc(0),
      })),
    );
    await expectAlive();
  });

  it("answers staff's admin actions (settings, dead letters, login) with any form, never a 5xx", async () => {
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 12 }), fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String), fc.constantFrom("", "0", "1", "30", "\u0000", "4\u0000"));
    const form = fc.dictionary(
      fc.constantFrom("intent", "defaultSafetyStock", "oversellThreshold", "cacheTtlSeconds", "staleAfterSeconds", "staleCapQuantity", "lowStockThreshold", "reservationTtlSeconds", "availabilityMode", "staleAction", "id", "topic", "reason", "password", "next"),
      text,
      { maxKeys: 10 },
    );
    const action = fc.record({ path: fc.constantFrom("/app/settings", "/app/dead-letters", "/login"), form, withCookie: fc.boolean() });
    await run(
      action.map(({ path, form: fields, withCookie }): FuzzRequest => {
        const cookieHeader: Record<string, string> = withCookie && path !== "/login" ? { cookie: cookie() } : {};
        // A new API token would stop the storefront property's token: that action is left out.
        const saved = fields.intent === "api-token" ? { ...fields, intent: "save" } : fields;
        return { method: "POST", target: path, headers: { "content-type": "application/x-www-form-urlencoded", ...cookieHeader }, body: Buffer.from(new URLSearchParams(saved).toString()) };
      }),
    );
    // The dead letters' topic filter, read by the page's loader.
    await run(text.map((topic) => ({ method: "GET", target: `/app/dead-letters?topic=${encodeURIComponent(topic)}`, headers: { cookie: cookie() }, body: Buffer.alloc(0) })));
    await expectAlive();
  });

  it("keeps any body of any size on any edge from ending the process", async () => {
    const post = fc.record({ method: fc.constant("POST"), target: fc.constantFrom("/webhooks/shopify", "/webhooks/bigcommerce", "/api/v1/reservations", "/proxy/reservations", "/login", "/app/settings"), headers, body });
    await run(post.filter((request) => request.headers.authorization !== `Bearer ${API_TOKEN}`));
    await expectAlive();
  });
});
