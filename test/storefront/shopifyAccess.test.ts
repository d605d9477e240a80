import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ShopifyAdminClient } from "../../app/platforms/shopify/adminClient";
import { shopifyAdminClientsByShopId } from "../../app/storefront/shopifyAccess.server";
import { useTestDatabase } from "../helpers/database";

const getDb = useTestDatabase();

async function shop(platform: "shopify" | "bigcommerce", domain: string, options: { uninstalled?: boolean; token?: string } = {}): Promise<string> {
  const id = randomUUID();
  await getDb().sql.query(`INSERT INTO shop (id, platform, domain, install_state) VALUES ($1, $2::"Platform", $3, $4::"InstallState")`, [id, platform, domain, options.uninstalled ? "uninstalled" : "installed"]);
  if (options.token !== undefined) {
    await getDb().sql.query(`INSERT INTO session (id, shop, state, is_online, access_token) VALUES ($1, $2, '', false, $3)`, [`offline_${domain}`, domain, options.token]);
  }
  return id;
}

describe("the Admin client the metafield sync writes through", () => {
  const made: Array<{ shop: string; token: string }> = [];
  const clientsFor = () =>
    shopifyAdminClientsByShopId({
      sql: getDb().sql,
      clientFor: (shopDomain, accessToken) => {
        made.push({ shop: shopDomain, token: accessToken });
        return { shop: shopDomain } as ShopifyAdminClient;
      },
    });

  it("is made with the installed Shopify shop's offline token", async () => {
    const id = await shop("shopify", "access-ok.myshopify.com", { token: "shpat_offline" });
    expect((await clientsFor()(id))?.shop).toBe("access-ok.myshopify.com");
    expect(made).toContainEqual({ shop: "access-ok.myshopify.com", token: "shpat_offline" });
  });

  it("is absent for BigCommerce, an uninstalled shop, a shop without an offline session, or an unknown id", async () => {
    const clients = clientsFor();
    expect(await clients(await shop("bigcommerce", "stores/abc123"))).toBeUndefined();
    expect(await clients(await shop("shopify", "access-gone.myshopify.com", { uninstalled: true, token: "shpat_old" }))).toBeUndefined();
    expect(await clients(await shop("shopify", "access-none.myshopify.com"))).toBeUndefined();
    expect(await clients(await shop("shopify", "access-empty.myshopify.com", { token: "" }))).toBeUndefined();
    expect(await clients(randomUUID())).toBeUndefined();
  });
});
