import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { storeTokenRefused } from "../../app/platforms/bigcommerce/storeAccess";
import { sealCredential } from "../../app/shops/credentials.server";
import { installShop } from "../../app/shops/shops.server";
import { signedPayloadJwt } from "../../simulators/webhooks/bigcommerce";
import { useTestDatabase } from "../helpers/database";
import { useBigCommerceSimulator } from "../helpers/simulators";
import { BIGCOMMERCE_CLIENT_ID, BIGCOMMERCE_SECRET, startWebhookServer, testConfig, type WebhookServer } from "../webhooks/helpers";

// BigCommerce's app callbacks against the BigCommerce simulator: a signed_payload_jwt is good for
// one callback, and an uninstall is believed only once BigCommerce refuses the store's token.
const database = useTestDatabase();
const bigCommerce = useBigCommerceSimulator();
const STORES = ["leaving1", "staying1", "tokenless1", "twoproc1", "users1"];
let server: WebhookServer;
let otherProcess: WebhookServer;

const jwt = (storeHash: string) => signedPayloadJwt({ clientSecret: BIGCOMMERCE_SECRET, clientId: BIGCOMMERCE_CLIENT_ID, storeHash });
const call = async (target: WebhookServer, callback: string, token: string) => {
  const response = await fetch(`${target.url}/auth/bigcommerce/${callback}?signed_payload_jwt=${token}`, { redirect: "manual" });
  return { status: response.status, body: response.headers.get("content-type")?.includes("json") ? ((await response.json()) as { error?: { code: string } }) : undefined };
};
const installState = async (storeHash: string) =>
  (await database().prisma.shop.findUniqueOrThrow({ where: { platform_domain: { platform: "bigcommerce", domain: `stores/${storeHash}` } } })).installState;
const uninstallRows = async (storeHash: string) =>
  database().sql.query(`SELECT i.id FROM webhook_inbox i JOIN shop s ON s.id = i.shop_id WHERE i.topic = 'store/app/uninstalled' AND s.domain = $1`, [`stores/${storeHash}`]);

beforeAll(async () => {
  const config = testConfig({ BIGCOMMERCE_API_BASE_URL: bigCommerce.sim().url, LOCKSTEP_ENCRYPTION_KEY: "an-encryption-key-of-at-least-32-chars" });
  for (const storeHash of STORES) {
    const shop = await installShop(database().prisma, { platform: "bigcommerce", domain: `stores/${storeHash}` });
    if (storeHash === "tokenless1") continue;
    bigCommerce.sim().addStore({ storeHash, accessToken: `bc_token_${storeHash}` });
    await database().prisma.shop.update({ where: { id: shop.id }, data: { accessTokenSealed: sealCredential(config.encryptionKey, `bc_token_${storeHash}`) } });
  }
  server = await startWebhookServer(database(), config);
  otherProcess = await startWebhookServer(database(), config);
});
afterAll(async () => {
  await server?.close();
  await otherProcess?.close();
});

describe("signed_payload_jwt is good for one callback", () => {
  it("refuses a load token used a second time, and at the uninstall callback", async () => {
    const token = jwt("staying1");
    expect((await call(server, "load", token)).status).toBe(302);
    expect(await call(server, "load", token)).toMatchObject({ status: 401, body: { error: { code: "token_already_used" } } });
    expect(await call(server, "uninstall", token)).toMatchObject({ status: 401, body: { error: { code: "token_already_used" } } });
    expect(await installState("staying1")).toBe("installed");
    expect(await uninstallRows("staying1")).toHaveLength(0);
  });

  it("remembers a used token in the database, so another process refuses it too", async () => {
    const token = jwt("twoproc1");
    expect((await call(server, "load", token)).status).toBe(302);
    expect((await call(otherProcess, "load", token)).status).toBe(401);
  });

  it("remove_user verifies its token and uses it up", async () => {
    const token = jwt("users1");
    expect(await call(server, "remove_user", token)).toMatchObject({ status: 200, body: { ok: true } });
    expect((await call(server, "remove_user", token)).status).toBe(401);
    expect((await call(server, "remove_user", "forged.token.here")).status).toBe(401);
  });
});

describe("the uninstall callback", () => {
  it("removes nothing while BigCommerce still accepts the store's token: a load token cannot uninstall", async () => {
    // A valid, unused token (as a load callback would carry) brought to the uninstall callback.
    expect(await call(server, "uninstall", jwt("staying1"))).toMatchObject({ status: 409, body: { error: { code: "uninstall_unconfirmed" } } });
    expect(await installState("staying1")).toBe("installed");
    expect(await uninstallRows("staying1")).toHaveLength(0);
  });

  it("goes through the inbox once BigCommerce refuses the store's token, and only once", async () => {
    expect((await call(server, "uninstall", jwt("leaving1"))).status).toBe(409);
    bigCommerce.sim().store("leaving1").revokeAccessToken();
    const token = jwt("leaving1");
    expect(await call(server, "uninstall", token)).toMatchObject({ status: 200, body: { ok: true } });
    expect(await uninstallRows("leaving1")).toHaveLength(1);
    expect((await call(server, "uninstall", token)).status).toBe(401);
    expect(await uninstallRows("leaving1")).toHaveLength(1);
  });

  it("cannot confirm a store Lockstep holds no token for, so removes nothing", async () => {
    expect(await call(server, "uninstall", jwt("tokenless1"))).toMatchObject({ status: 409, body: { error: { code: "uninstall_unconfirmed" } } });
    expect(await installState("tokenless1")).toBe("installed");
  });
});

describe("storeTokenRefused", () => {
  const client = (storeHash: string, accessToken: string) =>
    bigCommerce.track(createBigCommerceClient({ storeHash, accessToken, registry: bigCommerce.registry(), baseUrl: bigCommerce.sim().url, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }));

  it("is false for a working token, true once revoked, and 503 when BigCommerce cannot say", async () => {
    const store = bigCommerce.sim().addStore({ storeHash: "probe1", accessToken: "bc_probe" });
    expect(await storeTokenRefused(client("probe1", "bc_probe"))).toBe(false);
    expect(await storeTokenRefused(client("probe1", "not-the-token"))).toBe(true);
    bigCommerce.sim().injectFault("probe1", "http500");
    await expect(storeTokenRefused(client("probe1", "bc_probe"))).rejects.toMatchObject({ status: 503 });
    store.revokeAccessToken();
    expect(await storeTokenRefused(client("probe1", "bc_probe"))).toBe(true);
  });
});
