import { Session } from "@shopify/shopify-api";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { sealStoredTokens } from "../../app/shops/sealStoredTokens.server";
import { PrismaSessionStorage } from "../../app/shops/sessionStorage.server";
import { installShop } from "../../app/shops/shops.server";
import { shopifyAdminClientsByShopId } from "../../app/checkout/shopifyAccess.server";
import type { ShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { useTestDatabase } from "../helpers/database";

const db = useTestDatabase();
const KEY = "a-test-encryption-key-of-32-characters";

function offline(shop: string, token = "shpat_1"): Session {
  return new Session({ id: `offline_${shop}`, shop, state: "state", isOnline: false, scope: "read_products", accessToken: token, expires: new Date("2027-01-01T00:00:00Z") });
}

describe("PrismaSessionStorage", () => {
  it("stores and loads an offline session unchanged", async () => {
    const storage = new PrismaSessionStorage(db().prisma, KEY);
    const session = offline("store-load.myshopify.com");
    expect(await storage.storeSession(session)).toBe(true);
    const loaded = await storage.loadSession(session.id);
    expect(loaded).toBeInstanceOf(Session);
    expect(loaded?.toObject()).toEqual(session.toObject());
    expect(loaded?.isActive("read_products")).toBe(true);
  });

  it("keeps an online session's user", async () => {
    const storage = new PrismaSessionStorage(db().prisma, KEY);
    const session = new Session({
      id: "online-1",
      shop: "online.myshopify.com",
      state: "s",
      isOnline: true,
      scope: "read_products",
      accessToken: "shpua_1",
      expires: new Date(Date.now() + 3_600_000),
      onlineAccessInfo: {
        expires_in: 3600,
        associated_user_scope: "read_products",
        associated_user: { id: 9_007_199_254_740, first_name: "Ada", last_name: "L", email: "ada@example.com", account_owner: true, locale: "en", collaborator: false, email_verified: true },
      },
    });
    await storage.storeSession(session);
    const loaded = await storage.loadSession("online-1");
    expect(loaded?.onlineAccessInfo?.associated_user).toMatchObject({ id: 9_007_199_254_740, first_name: "Ada", email: "ada@example.com", account_owner: true });
  });

  it("upserts: storing the same id again replaces it", async () => {
    const storage = new PrismaSessionStorage(db().prisma, KEY);
    await storage.storeSession(offline("upsert.myshopify.com", "old"));
    await storage.storeSession(offline("upsert.myshopify.com", "new"));
    expect((await storage.loadSession("offline_upsert.myshopify.com"))?.accessToken).toBe("new");
    expect(await storage.findSessionsByShop("upsert.myshopify.com")).toHaveLength(1);
  });

  it("finds sessions by shop and deletes one or many", async () => {
    const storage = new PrismaSessionStorage(db().prisma, KEY);
    const shop = "find.myshopify.com";
    await storage.storeSession(offline(shop));
    await storage.storeSession(new Session({ id: "find-online-a", shop, state: "s", isOnline: true, accessToken: "a" }));
    await storage.storeSession(new Session({ id: "find-online-b", shop, state: "s", isOnline: true, accessToken: "b" }));
    await storage.storeSession(offline("other.myshopify.com"));
    expect((await storage.findSessionsByShop(shop)).map((s) => s.id).sort()).toEqual(["find-online-a", "find-online-b", `offline_${shop}`]);

    expect(await storage.deleteSession("find-online-a")).toBe(true);
    expect(await storage.loadSession("find-online-a")).toBeUndefined();
    expect(await storage.deleteSessions(["find-online-b", `offline_${shop}`])).toBe(true);
    expect(await storage.findSessionsByShop(shop)).toEqual([]);
    expect(await storage.findSessionsByShop("other.myshopify.com")).toHaveLength(1);
  });

  it("answers undefined for an unknown id and deleting it is harmless", async () => {
    const storage = new PrismaSessionStorage(db().prisma, KEY);
    expect(await storage.loadSession("nope")).toBeUndefined();
    expect(await storage.deleteSession("nope")).toBe(true);
  });
});

describe("Shopify tokens at rest", () => {
  const stored = (id: string) => db().sql.query<{ access_token: string; refresh_token: string | null }>(`SELECT access_token, refresh_token FROM session WHERE id = $1`, [id]);

  it("keeps access and refresh tokens sealed in the table, and gives them back opened", async () => {
    const storage = new PrismaSessionStorage(db().prisma, KEY);
    const session = offline("sealed.myshopify.com", "shpat_sealed_secret");
    session.refreshToken = "shprt_refresh_secret";
    session.refreshTokenExpires = new Date("2027-02-01T00:00:00Z");
    await storage.storeSession(session);
    const [row] = await stored(session.id);
    expect(row!.access_token).toMatch(/^v1:/);
    expect(row!.refresh_token).toMatch(/^v1:/);
    expect(JSON.stringify(row)).not.toMatch(/shpat_|shprt_/);
    const loaded = await storage.loadSession(session.id);
    expect(loaded?.accessToken).toBe("shpat_sealed_secret");
    expect(loaded?.refreshToken).toBe("shprt_refresh_secret");
    expect((await storage.findSessionsByShop("sealed.myshopify.com"))[0]?.accessToken).toBe("shpat_sealed_secret");
    // Another key cannot open them: a clear error, never a wrong token.
    await expect(new PrismaSessionStorage(db().prisma, "another-key-of-at-least-32-characters").loadSession(session.id)).rejects.toMatchObject({ code: "credential_unreadable" });
  });

  it("seals the rows an earlier version stored in clear, once, and every reader opens them afterwards", async () => {
    const domain = "stored-in-clear.myshopify.com";
    const shop = await installShop(db().prisma, { platform: "shopify", domain });
    await db().sql.query(
      `INSERT INTO session (id, shop, state, is_online, access_token, refresh_token) VALUES ($1, $2, '', false, 'shpat_old_offline', 'shprt_old_refresh'), ('online-old', $2, '', true, 'shpua_old_online', NULL)`,
      [`offline_${domain}`, domain],
    );
    const config = loadConfig({ LOCKSTEP_ENCRYPTION_KEY: KEY });
    expect(await sealStoredTokens(db().sql, config)).toBeGreaterThanOrEqual(2);
    expect(await sealStoredTokens(db().sql, config)).toBe(0);

    const everything = await db().sql.query<Record<string, unknown>>(`SELECT * FROM session`);
    expect(JSON.stringify(everything)).not.toMatch(/shp(at|ua|rt)_/);
    const storage = new PrismaSessionStorage(db().prisma, KEY);
    expect(await storage.loadSession(`offline_${domain}`)).toMatchObject({ accessToken: "shpat_old_offline", refreshToken: "shprt_old_refresh" });
    expect((await storage.loadSession("online-old"))?.accessToken).toBe("shpua_old_online");
    // The raw reader of the metafield sync opens it through the same place.
    const tokens: string[] = [];
    await shopifyAdminClientsByShopId({ sql: db().sql, encryptionKey: KEY, clientFor: (_shop, token) => (tokens.push(token), {} as ShopifyAdminClient) })(shop.id);
    expect(tokens).toEqual(["shpat_old_offline"]);
  });

  it("refuses to start without LOCKSTEP_ENCRYPTION_KEY when the database holds tokens, naming the variable", async () => {
    const withoutKey = loadConfig({});
    expect(withoutKey.generatedSecrets).toContain("LOCKSTEP_ENCRYPTION_KEY");
    await new PrismaSessionStorage(db().prisma, KEY).storeSession(offline("needs-key.myshopify.com"));
    await expect(sealStoredTokens(db().sql, withoutKey)).rejects.toThrow(/LOCKSTEP_ENCRYPTION_KEY missing: the database holds \d+ store credential/);
  });
});
