import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { createStockServices, type StockServices } from "../../app/reservations/stockServices.server";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createPlatformClients } from "../../app/platforms/clients.server";
import type { ShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { AVAILABILITY_METAFIELD_KEY, LOCKSTEP_METAFIELD_NAMESPACE } from "../../app/checkout/metafields";
import { shopifyAdminClientsByShopId } from "../../app/checkout/shopifyAccess.server";
import { type CheckoutDeps, checkoutMetafieldSync, refreshCheckoutClocksFor } from "../../app/checkout/wiring.server";
import { sealSessionToken } from "../../app/shops/sessionStorage.server";
import { useTestDatabase } from "../helpers/database";
import { seedStockShop } from "../reservations/stockFixture";
import { manualClock } from "../helpers/clock";
import { ACCESS_TOKEN, type AdminFake, startAdminFake } from "./adminFake";

const getDb = useTestDatabase();
// Session tokens are stored sealed: the fixtures seal them with the key the process is given.
const ENCRYPTION_KEY = "a-test-encryption-key-of-32-characters";
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function installedShop(fake: (domain: string) => AdminFake) {
  const clock = manualClock();
  const shop = await seedStockShop(getDb(), [{ sku: "WIRED", stock: [4, 0] }], clock.date());
  await getDb().sql.query(`INSERT INTO session (id, shop, state, is_online, access_token) VALUES ($1, $2, '', false, $3)`, [`offline_${shop.domain}`, shop.domain, sealSessionToken(ENCRYPTION_KEY, ACCESS_TOKEN)]);
  const admin = fake(shop.domain);
  cleanup.push(() => admin.close());
  const config = loadConfig({ SHOPIFY_ADMIN_API_BASE_URL: await admin.listen(), LOCKSTEP_ENCRYPTION_KEY: ENCRYPTION_KEY });
  const registry = createLimiterRegistry();
  const platforms = createPlatformClients(config, registry);
  cleanup.push(() => registry.close(), () => platforms.close());
  const context: CheckoutDeps & { config: typeof config } = { config, db: getDb(), platforms };
  return { shop, admin, context, clock };
}

describe("checkout enforcement wired into the stock services", () => {
  it("writes the metafield of a reserved item through the shop's own Admin client, and beats the clock", async () => {
    const { shop, admin, context, clock } = await installedShop((domain) => startAdminFake({ domain, variants: [1] }));
    const logged: unknown[] = [];
    const services: StockServices = createStockServices({
      db: getDb(),
      config: context.config,
      now: clock.date,
      wrapAvailability: checkoutMetafieldSync(context, { log: (message, details) => logged.push({ message, details }) }),
    });
    cleanup.push(() => services.close());
    await services.reservations.reserve(shop.shopId, { key: "wired-cart", lines: [{ sku: "WIRED", quantity: 3 }] });
    await vi.waitFor(() => expect(admin.metafields.get("gid://shopify/ProductVariant/1", LOCKSTEP_METAFIELD_NAMESPACE, AVAILABILITY_METAFIELD_KEY)).toBeDefined(), { timeout: 5_000, interval: 5 });
    expect(JSON.parse(admin.metafields.all()[0]!.value)).toMatchObject({ available: 1 });
    expect(logged).toEqual([]);

    const round = await refreshCheckoutClocksFor(context, clock.date(), { enable: true });
    expect(round).toEqual({ refreshed: 1, failed: [] });
    expect(admin.validations).toHaveLength(1);
  });

  it("logs the SKUs a refused write left behind, and the shops whose clock could not be written", async () => {
    // The variant no longer exists on Shopify, and the Function was never deployed.
    const { shop, context, clock } = await installedShop((domain) => startAdminFake({ domain, variants: [], deployedFunctions: [] }));
    const logged: Array<{ message: string; details: Record<string, unknown> }> = [];
    const services = createStockServices({ db: getDb(), config: context.config, now: clock.date, wrapAvailability: checkoutMetafieldSync(context, { log: (message, details) => logged.push({ message, details }) }) });
    cleanup.push(() => services.close());
    await services.reservations.reserve(shop.shopId, { key: "refused-cart", lines: [{ sku: "WIRED", quantity: 1 }] });
    await vi.waitFor(() => expect(logged).toHaveLength(1), { timeout: 5_000, interval: 5 });
    expect(logged[0]).toEqual({ message: "checkout metafields not written", details: { shopId: shop.shopId, failed: [{ sku: "WIRED", message: "INVALID: Owner does not exist." }] } });

    const round = await refreshCheckoutClocksFor(context, clock.date(), { enable: true });
    // This shop cannot turn the Function on. (The other test's shop is asked too, but of this
    // context's Admin fake, which does not know it: only this shop's failure is the point here.)
    const ours = round.failed.filter((failure) => failure.shopId === shop.shopId);
    expect(ours).toHaveLength(1);
    expect(String(ours[0]!.error)).toContain("validationCreate refused: NOT_FOUND Extension not found.");
  });
});

async function shop(platform: "shopify" | "bigcommerce", domain: string, options: { uninstalled?: boolean; token?: string } = {}): Promise<string> {
  const id = randomUUID();
  await getDb().sql.query(`INSERT INTO shop (id, platform, domain, install_state) VALUES ($1, $2::"Platform", $3, $4::"InstallState")`, [id, platform, domain, options.uninstalled ? "uninstalled" : "installed"]);
  if (options.token !== undefined) {
    await getDb().sql.query(`INSERT INTO session (id, shop, state, is_online, access_token) VALUES ($1, $2, '', false, $3)`, [`offline_${domain}`, domain, sealSessionToken(ENCRYPTION_KEY, options.token)]);
  }
  return id;
}

describe("the Admin client the metafield sync writes through", () => {
  const made: Array<{ shop: string; token: string }> = [];
  const clientsFor = () =>
    shopifyAdminClientsByShopId({
      sql: getDb().sql,
      encryptionKey: ENCRYPTION_KEY,
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
