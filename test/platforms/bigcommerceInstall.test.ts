import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigCommerceTokenOf } from "../../app/shops/platformAccess.server";
import { BIGCOMMERCE_SCOPES, BIGCOMMERCE_SECRET_HEADER, storeWebhookSecret } from "../../app/platforms/bigcommerce/hooks";
import { type BigCommerceSimulator, startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { signBigCommerceDelivery } from "../../simulators/webhooks/bigcommerce";
import { STANDALONE_ENV, useTestServer } from "../helpers/server";

const CLIENT_ID = "bc-client-id";
const CLIENT_SECRET = "bc-client-secret";
const STORE_TOKEN = "bc-store-access-token";

// BigCommerce's login service, as far as the install exchange goes: one valid code.
const exchanges: Record<string, unknown>[] = [];
const login = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    const request = JSON.parse(body) as Record<string, string>;
    exchanges.push(request);
    const valid = req.url === "/oauth2/token" && request.code === "good-code" && request.client_secret === CLIENT_SECRET;
    res.writeHead(valid ? 200 : 400, { "content-type": "application/json" });
    res.end(JSON.stringify(valid ? { access_token: STORE_TOKEN, scope: request.scope, context: request.context, user: { id: 1 } } : { error: "invalid code" }));
  });
});

let simulator: BigCommerceSimulator;
let productId: number;
const env: Record<string, string> = { ...STANDALONE_ENV, BIGCOMMERCE_CLIENT_ID: CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET: CLIENT_SECRET, LOCKSTEP_ENCRYPTION_KEY: "e".repeat(32), LOCKSTEP_WEBHOOK_POLL_MS: "50" };

beforeAll(async () => {
  await new Promise<void>((resolve) => login.listen(0, "127.0.0.1", resolve));
  simulator = await startBigCommerceSimulator();
  const store = simulator.addStore({ storeHash: "abc123", accessToken: STORE_TOKEN, seed: { locations: ["Main"] } });
  productId = store.addProduct("Enamel Mug", [{ sku: "MUG-ENAMEL", price: 14, onHand: 9 }]).id;
  env.BIGCOMMERCE_LOGIN_BASE_URL = `http://127.0.0.1:${(login.address() as AddressInfo).port}`;
  env.BIGCOMMERCE_API_BASE_URL = simulator.url;
});

afterAll(async () => {
  await simulator?.close();
  await new Promise<void>((resolve) => login.close(() => resolve()));
});

const server = useTestServer({ build: false, background: true, env });

describe("installing the BigCommerce app", () => {
  it("exchanges the code, installs the store and keeps its token sealed", async () => {
    const response = await fetch(`${server().url}/auth/bigcommerce/callback?code=good-code&scope=store_v2_products&context=stores/abc123`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ shop: { domain: "stores/abc123", installState: "installed" } });
    expect(exchanges.at(-1)).toMatchObject({ client_id: CLIENT_ID, code: "good-code", grant_type: "authorization_code", context: "stores/abc123", redirect_uri: `${server().url}/auth/bigcommerce/callback` });
    const [row] = await server().context.db.sql.query<{ access_token_sealed: string }>(`SELECT access_token_sealed FROM shop WHERE domain = 'stores/abc123'`);
    expect(row!.access_token_sealed).toMatch(/^v1:/);
    expect(row!.access_token_sealed).not.toContain(STORE_TOKEN);
  });

  it("subscribes the store to every scope Lockstep handles, with the per-store secret header, once", async () => {
    const hooks = [...simulator.store("abc123").hooks.hooks.values()];
    expect(hooks.map((hook) => hook.scope).sort()).toEqual([...BIGCOMMERCE_SCOPES].sort());
    for (const hook of hooks) {
      expect(hook.destination).toBe(`${server().url}/webhooks/bigcommerce`);
      expect(hook.is_active).toBe(true);
      expect(hook.headers).toEqual({ [BIGCOMMERCE_SECRET_HEADER]: storeWebhookSecret(CLIENT_SECRET, "abc123") });
    }
    // A re-install repairs a hook switched off meanwhile and creates no duplicates.
    hooks[0]!.is_active = false;
    const again = await fetch(`${server().url}/auth/bigcommerce/callback?code=good-code&scope=store_v2_products&context=stores/abc123`);
    expect((await again.json()).hooks).toEqual({ created: 0, updated: 1, unchanged: BIGCOMMERCE_SCOPES.length - 1 });
    expect(simulator.store("abc123").hooks.hooks.size).toBe(BIGCOMMERCE_SCOPES.length);
  });

  it("then reads the store back for a thin webhook, with that token, through the throttled client", async () => {
    const delivery = signBigCommerceDelivery({ clientSecret: CLIENT_SECRET, storeHash: "abc123", scope: "store/product/updated", data: { type: "product", id: productId } });
    expect((await fetch(`${server().url}/webhooks/bigcommerce`, { method: "POST", headers: delivery.headers, body: delivery.body })).status).toBe(200);
    const { db } = server().context;
    const deadline = Date.now() + 20_000;
    let sku: string | undefined;
    while (!sku) {
      sku = (await db.sql.query<{ sku: string }>(`SELECT v.sku FROM variant v JOIN shop s ON s.id = v.shop_id WHERE s.domain = 'stores/abc123'`))[0]?.sku;
      if (!sku && Date.now() > deadline) throw new Error("the thin webhook was not read back");
      if (!sku) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sku).toBe("MUG-ENAMEL");
  });

  it("refuses a code BigCommerce does not accept (502) and a bad context (400), installing nothing", async () => {
    const refused = await fetch(`${server().url}/auth/bigcommerce/callback?code=stolen&scope=store_v2_products&context=stores/zzz999`);
    expect(refused.status).toBe(502);
    expect((await refused.json()).error.code).toBe("oauth_exchange_failed");
    expect((await fetch(`${server().url}/auth/bigcommerce/callback?code=good-code&scope=x&context=evil`)).status).toBe(400);
    const [count] = await server().context.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM shop WHERE domain IN ('stores/zzz999', 'evil')`);
    expect(count!.n).toBe(0);
  });

  it("says which store has no token instead of calling BigCommerce without one", async () => {
    const { db, config } = server().context;
    await expect(bigCommerceTokenOf({ prisma: db.prisma, config })("neverinstalled")).rejects.toMatchObject({ code: "no_access_token", status: 409 });
  });
});
