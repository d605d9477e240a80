import { Session } from "@shopify/shopify-api";
import { describe, expect, it } from "vitest";
import { PrismaSessionStorage } from "../../app/shops/sessionStorage.server";
import { useTestDatabase } from "../helpers/database";

const db = useTestDatabase();

function offline(shop: string, token = "shpat_1"): Session {
  return new Session({ id: `offline_${shop}`, shop, state: "state", isOnline: false, scope: "read_products", accessToken: token, expires: new Date("2027-01-01T00:00:00Z") });
}

describe("PrismaSessionStorage", () => {
  it("stores and loads an offline session unchanged", async () => {
    const storage = new PrismaSessionStorage(db().prisma);
    const session = offline("store-load.myshopify.com");
    expect(await storage.storeSession(session)).toBe(true);
    const loaded = await storage.loadSession(session.id);
    expect(loaded).toBeInstanceOf(Session);
    expect(loaded?.toObject()).toEqual(session.toObject());
    expect(loaded?.isActive("read_products")).toBe(true);
  });

  it("keeps an online session's user", async () => {
    const storage = new PrismaSessionStorage(db().prisma);
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
    const storage = new PrismaSessionStorage(db().prisma);
    await storage.storeSession(offline("upsert.myshopify.com", "old"));
    await storage.storeSession(offline("upsert.myshopify.com", "new"));
    expect((await storage.loadSession("offline_upsert.myshopify.com"))?.accessToken).toBe("new");
    expect(await storage.findSessionsByShop("upsert.myshopify.com")).toHaveLength(1);
  });

  it("finds sessions by shop and deletes one or many", async () => {
    const storage = new PrismaSessionStorage(db().prisma);
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
    const storage = new PrismaSessionStorage(db().prisma);
    expect(await storage.loadSession("nope")).toBeUndefined();
    expect(await storage.deleteSession("nope")).toBe(true);
  });
});
