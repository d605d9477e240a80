import { describe, expect, it } from "vitest";
import { authenticateApiToken, findShopByDomain, hashApiToken, installShop, issueApiToken, uninstallShop } from "../../app/shops/shops.server";
import { useTestDatabase } from "../helpers/database";
import { rejection } from "../helpers/expectations";

const db = useTestDatabase();

describe("shops", () => {
  it("installs a Shopify shop once and re-installs it in place", async () => {
    const prisma = db().prisma;
    const first = await installShop(prisma, { platform: "shopify", domain: "Reinstall.myshopify.com", scopes: "read_products" });
    expect(first).toMatchObject({ domain: "reinstall.myshopify.com", installState: "installed" });
    await uninstallShop(prisma, first.id);
    expect((await findShopByDomain(prisma, "shopify", "reinstall.myshopify.com"))?.installState).toBe("uninstalled");
    const again = await installShop(prisma, { platform: "shopify", domain: "reinstall.myshopify.com", scopes: "read_products,write_inventory" });
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({ installState: "installed", uninstalledAt: null, scopes: "read_products,write_inventory" });
  });

  it("keeps Shopify and BigCommerce stores apart", async () => {
    const prisma = db().prisma;
    const bc = await installShop(prisma, { platform: "bigcommerce", domain: "stores/abc123" });
    expect(bc.platform).toBe("bigcommerce");
    expect(await findShopByDomain(prisma, "shopify", "stores/abc123")).toBeNull();
  });

  it.each([
    ["shopify", "example.com"],
    ["shopify", "evil.myshopify.com.attacker.io"],
    ["bigcommerce", "abc123"],
  ] as const)("refuses %s domain %s", async (platform, domain) => {
    const error = await rejection(installShop(db().prisma, { platform, domain }));
    expect(error).toMatchObject({ code: "invalid_shop_domain", status: 400 });
  });

  it("stores only the hash of an API token and authenticates with it", async () => {
    const prisma = db().prisma;
    const shop = await installShop(prisma, { platform: "shopify", domain: "token.myshopify.com" });
    const token = await issueApiToken(prisma, shop.id);
    expect(token).toMatch(/^lst_/);
    const stored = await prisma.shop.findUniqueOrThrow({ where: { id: shop.id } });
    expect(stored.apiTokenHash).toBe(hashApiToken(token));
    expect(stored.apiTokenHash).not.toContain(token);
    expect((await authenticateApiToken(prisma, `Bearer ${token}`)).id).toBe(shop.id);
  });

  it("refuses a missing, malformed, wrong, replaced or uninstalled shop's token with 401", async () => {
    const prisma = db().prisma;
    const shop = await installShop(prisma, { platform: "shopify", domain: "token-fail.myshopify.com" });
    const old = await issueApiToken(prisma, shop.id);
    const current = await issueApiToken(prisma, shop.id);
    expect(await rejection(authenticateApiToken(prisma, undefined))).toMatchObject({ status: 401, code: "missing_token" });
    expect(await rejection(authenticateApiToken(prisma, `Basic ${current}`))).toMatchObject({ status: 401, code: "missing_token" });
    expect(await rejection(authenticateApiToken(prisma, "Bearer lst_not-a-real-token-at-all"))).toMatchObject({ status: 401, code: "invalid_token" });
    expect(await rejection(authenticateApiToken(prisma, `Bearer ${old}`))).toMatchObject({ status: 401, code: "invalid_token" });
    await uninstallShop(prisma, shop.id);
    expect(await rejection(authenticateApiToken(prisma, `Bearer ${current}`))).toMatchObject({ status: 401, code: "invalid_token" });
  });

  it("refuses a token too short to be safe", async () => {
    const prisma = db().prisma;
    const shop = await installShop(prisma, { platform: "shopify", domain: "weak.myshopify.com" });
    expect(await rejection(issueApiToken(prisma, shop.id, "short"))).toMatchObject({ code: "weak_api_token" });
  });
});
