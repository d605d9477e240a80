import { afterAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import type { AppContext } from "../../app/context.server";
import { createStockServices, type StockServices } from "../../app/inventory/services.server";
import { closeOutboundRegistry } from "../../app/outbound/registry.server";
import { forgetPlatformClients } from "../../app/platforms/clients.server";
import { AVAILABILITY_METAFIELD_KEY, LOCKSTEP_METAFIELD_NAMESPACE } from "../../app/storefront/metafields";
import { checkoutMetafieldSync, refreshCheckoutClocksFor } from "../../app/storefront/wiring.server";
import { useTestDatabase } from "../helpers/database";
import { manualClock, seedStockShop } from "../reservations/stockFixture";
import { ACCESS_TOKEN, type AdminFake, startAdminFake } from "./adminFake";

const getDb = useTestDatabase();
const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  forgetPlatformClients();
  await closeOutboundRegistry();
});

async function installedShop(fake: (domain: string) => AdminFake) {
  const clock = manualClock();
  const shop = await seedStockShop(getDb(), [{ sku: "WIRED", stock: [4, 0] }], clock.now());
  await getDb().sql.query(`INSERT INTO session (id, shop, state, is_online, access_token) VALUES ($1, $2, '', false, $3)`, [`offline_${shop.domain}`, shop.domain, ACCESS_TOKEN]);
  const admin = fake(shop.domain);
  cleanup.push(() => admin.close());
  const context: AppContext = { config: loadConfig({ SHOPIFY_ADMIN_API_BASE_URL: await admin.listen() }), db: getDb(), startedAt: new Date() };
  return { shop, admin, context, clock };
}

describe("checkout enforcement wired into the stock services", () => {
  it("writes the metafield of a reserved item through the shop's own Admin client, and beats the clock", async () => {
    const { shop, admin, context, clock } = await installedShop((domain) => startAdminFake({ domain, variants: [1] }));
    const logged: unknown[] = [];
    const services: StockServices = createStockServices({
      db: getDb(),
      config: context.config,
      now: clock.now,
      wrapAvailability: checkoutMetafieldSync(context, { log: (message, details) => logged.push({ message, details }) }),
    });
    cleanup.push(() => services.close());
    await services.reservations.reserve(shop.shopId, { key: "wired-cart", lines: [{ sku: "WIRED", quantity: 3 }] });
    await vi.waitFor(() => expect(admin.metafields.get("gid://shopify/ProductVariant/1", LOCKSTEP_METAFIELD_NAMESPACE, AVAILABILITY_METAFIELD_KEY)).toBeDefined(), { timeout: 5_000, interval: 5 });
    expect(JSON.parse(admin.metafields.all()[0]!.value)).toMatchObject({ available: 1 });
    expect(logged).toEqual([]);

    const round = await refreshCheckoutClocksFor(context, clock.now(), { enable: true });
    expect(round).toEqual({ refreshed: 1, failed: [] });
    expect(admin.validations).toHaveLength(1);
  });

  it("logs the SKUs a refused write left behind, and the shops whose clock could not be written", async () => {
    // The variant no longer exists on Shopify, and the Function was never deployed.
    const { shop, context, clock } = await installedShop((domain) => startAdminFake({ domain, variants: [], deployedFunctions: [] }));
    const logged: Array<{ message: string; details: Record<string, unknown> }> = [];
    const services = createStockServices({ db: getDb(), config: context.config, now: clock.now, wrapAvailability: checkoutMetafieldSync(context, { log: (message, details) => logged.push({ message, details }) }) });
    cleanup.push(() => services.close());
    await services.reservations.reserve(shop.shopId, { key: "refused-cart", lines: [{ sku: "WIRED", quantity: 1 }] });
    await vi.waitFor(() => expect(logged).toHaveLength(1), { timeout: 5_000, interval: 5 });
    expect(logged[0]).toEqual({ message: "checkout metafields not written", details: { shopId: shop.shopId, failed: [{ sku: "WIRED", message: "INVALID: Owner does not exist." }] } });

    const round = await refreshCheckoutClocksFor(context, clock.now(), { enable: true });
    // The other test's shop still beats its own clock; this one cannot turn the Function on.
    expect(round.failed.map((failure) => failure.shopId)).toEqual([shop.shopId]);
    expect(String(round.failed[0]!.error)).toContain("validationCreate refused: NOT_FOUND Extension not found.");
  });
});
