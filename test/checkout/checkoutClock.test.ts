import { afterEach, describe, expect, it } from "vitest";
import { CHECKOUT_FUNCTION_HANDLE, refreshCheckoutClock } from "../../app/checkout/checkoutClock.server";
import { metafieldsSet } from "../../app/checkout/documents/metafields";
import { AVAILABILITY_METAFIELD_KEY, CHECKOUT_CLOCK_METAFIELD_KEY, LOCKSTEP_METAFIELD_NAMESPACE, checkoutClockValue, wallClockTime } from "../../app/checkout/metafields";
import { latestNow } from "../../extensions/availability-validation/src/availability";
import { cartValidationsGenerateRun } from "../../extensions/availability-validation/src/cart_validations_generate_run";
import { type AdminFake, startAdminFake } from "./adminFake";

const NOW = new Date("2026-11-27T08:00:00.250Z");
const fakes: AdminFake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

function fakeShop() {
  const fake = startAdminFake({ variants: [1], now: () => NOW.getTime() });
  fakes.push(fake);
  return fake;
}

describe("Lockstep's heartbeat: the checkout Function's clock", () => {
  it("states when it expires as a wall-clock time in the shop's time zone", () => {
    expect(wallClockTime(new Date("2026-11-27T08:02:00Z"), "America/New_York")).toBe("2026-11-27T03:02:00");
    expect(wallClockTime(new Date("2026-07-01T08:02:00Z"), "America/New_York")).toBe("2026-07-01T04:02:00");
    expect(wallClockTime(new Date("2026-11-27T20:45:30Z"), "Asia/Kolkata")).toBe("2026-11-28T02:15:30");
    expect(wallClockTime(new Date("2026-11-27T00:00:00Z"), "UTC")).toBe("2026-11-27T00:00:00");
  });

  it("rounds down to whole seconds, so the clock never outlives what it vouches for", () => {
    expect(checkoutClockValue(NOW, 180, "UTC")).toEqual({
      at: "2026-11-27T08:00:00.250Z",
      validUntil: "2026-11-27T08:03:00.000Z",
      clockValidUntilLocal: "2026-11-27T08:03:00",
    });
  });

  it("does nothing while the Function is not turned on for the shop, unless asked to turn it on", async () => {
    const fake = fakeShop();
    expect(await refreshCheckoutClock(fake.client, { now: NOW })).toMatchObject({ validationIds: [], created: false });
    expect(fake.validations).toEqual([]);
    expect(fake.metafields.all()).toEqual([]);

    const result = await refreshCheckoutClock(fake.client, { now: NOW, enable: true });
    expect(result).toMatchObject({ validationIds: ["gid://shopify/Validation/1"], created: true });
    expect(fake.validations).toEqual([{ id: "gid://shopify/Validation/1", title: "Lockstep stock check", enabled: true, blockOnFailure: true, handle: CHECKOUT_FUNCTION_HANDLE }]);
    const clock = fake.metafields.get("gid://shopify/Validation/1", LOCKSTEP_METAFIELD_NAMESPACE, CHECKOUT_CLOCK_METAFIELD_KEY)!;
    expect(clock.type).toBe("json");
    expect(JSON.parse(clock.value)).toEqual({ at: NOW.toISOString(), validUntil: "2026-11-27T08:03:00.000Z", clockValidUntilLocal: "2026-11-27T03:03:00" });
  });

  it("refreshes the heartbeat on Lockstep's validation only, leaving other apps' validations alone", async () => {
    const fake = fakeShop();
    fake.validations.push({ id: "gid://shopify/Validation/77", title: "Age check", enabled: true, blockOnFailure: false, handle: "someone-elses-function" });
    fake.validations.push({ id: "gid://shopify/Validation/78", title: "Lockstep stock check", enabled: true, blockOnFailure: true, handle: CHECKOUT_FUNCTION_HANDLE });
    const later = new Date(NOW.getTime() + 60_000);
    const result = await refreshCheckoutClock(fake.client, { now: later, validForSeconds: 120 });
    expect(result).toMatchObject({ validationIds: ["gid://shopify/Validation/78"], created: false });
    expect(fake.metafields.all().map((metafield) => metafield.ownerId)).toEqual(["gid://shopify/Validation/78"]);
    expect(JSON.parse(fake.metafields.all()[0]!.value)).toMatchObject({ validUntil: "2026-11-27T08:03:00.000Z" });
  });

  it("surfaces Shopify's refusal to turn the Function on (e.g. the app's Function is not deployed)", async () => {
    const fake = startAdminFake({ deployedFunctions: [] });
    fakes.push(fake);
    await expect(refreshCheckoutClock(fake.client, { now: NOW, enable: true })).rejects.toThrow("validationCreate refused: NOT_FOUND Extension not found.");
  });

  it("the simulated Shopify saves a validation and its metafields together or not at all", () => {
    const fake = fakeShop();
    const refused = fake.validationStore.create({ functionHandle: CHECKOUT_FUNCTION_HANDLE, metafields: [{ namespace: "$app:lockstep", key: "checkout-clock", type: "json", value: "{not json" }] });
    expect(refused).toEqual({ validation: null, userErrors: [{ code: "INVALID_VALUE", elementIndex: 0, field: ["validation", "metafields", "0", "value"], message: "Value is invalid JSON." }] });
    expect(fake.validations).toEqual([]);
  });

  it("lets the Function trust the numbers while the heartbeat lives, and fall back once it stops", async () => {
    const fake = fakeShop();
    const { clock } = await refreshCheckoutClock(fake.client, { now: NOW, enable: true });
    expect(latestNow(clock, false)).toBe(Date.parse("2026-11-27T08:03:00.000Z"));

    await fake.client.request(metafieldsSet, {
      metafields: [{
        ownerId: "gid://shopify/ProductVariant/1",
        namespace: LOCKSTEP_METAFIELD_NAMESPACE,
        key: AVAILABILITY_METAFIELD_KEY,
        type: "json",
        value: JSON.stringify({ available: 4, updatedAt: NOW.toISOString(), stale: false, stock: "physical", stalePolicy: { maxAgeSeconds: 900, fallback: "cap", capQuantity: 1, lowStockThreshold: 3 } }),
      }],
    });
    // What Shopify would hand the Function, read from what Lockstep stored.
    const input = (clockExpired: boolean, quantity: number) => ({
      cart: {
        lines: [{
          id: "gid://shopify/CartLine/1",
          quantity,
          merchandise: {
            __typename: "ProductVariant" as const,
            id: "gid://shopify/ProductVariant/1",
            sku: "TEE",
            title: "Default Title",
            product: { title: "Merino Tee", isGiftCard: false },
            availability: { jsonValue: JSON.parse(fake.metafields.get("gid://shopify/ProductVariant/1", LOCKSTEP_METAFIELD_NAMESPACE, AVAILABILITY_METAFIELD_KEY)!.value) as unknown },
          },
        }],
      },
      localization: { language: { isoCode: "EN" as const } },
      shop: { localTime: { clockExpired } },
      validation: { clock: { jsonValue: JSON.parse(fake.metafields.get("gid://shopify/Validation/1", LOCKSTEP_METAFIELD_NAMESPACE, CHECKOUT_CLOCK_METAFIELD_KEY)!.value) as unknown } },
    });
    // Shopify's `shop.localTime.dateTimeAfter($clockValidUntilLocal)`, evaluated in the shop's zone.
    const expiredAt = (msAfterNow: number) => wallClockTime(new Date(NOW.getTime() + msAfterNow), "America/New_York") >= clock.clockValidUntilLocal;
    expect(expiredAt(179_000)).toBe(false);
    expect(cartValidationsGenerateRun(input(expiredAt(179_000), 4)).operations).toEqual([]);
    expect(cartValidationsGenerateRun(input(expiredAt(179_000), 5)).operations).toHaveLength(1);
    // Lockstep stopped three minutes ago: the shop's stale policy (cap 1) applies to the same numbers.
    expect(expiredAt(180_000)).toBe(true);
    expect(cartValidationsGenerateRun(input(expiredAt(180_000), 2)).operations).toHaveLength(1);
    expect(cartValidationsGenerateRun(input(expiredAt(180_000), 1)).operations).toEqual([]);
  });
});
