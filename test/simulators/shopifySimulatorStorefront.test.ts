import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { checkoutValidations, validationCreate } from "../../app/checkout/documents/checkoutValidation";
import { metafieldsSet } from "../../app/checkout/documents/metafields";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { gid } from "../../simulators/shopify/store";

let sim: ShopifySimulator;
const registry = createLimiterRegistry();
const DOMAIN = "storefront-sim.myshopify.com";

beforeAll(async () => {
  sim = await startShopifySimulator({
    shops: [{ domain: DOMAIN, accessToken: "shpat_x", appId: "424242", deployedFunctions: ["lockstep-checkout"], timeZone: "Europe/Paris", seed: { products: 2 } }],
  });
});

afterAll(async () => {
  await registry.close();
  await sim.close();
});

describe("Shopify simulator over HTTP: metafields and checkout validations (the storefront's documents)", () => {
  const client = () => createShopifyAdminClient({ shop: DOMAIN, accessToken: "shpat_x", registry, endpoint: sim.endpointFor(DOMAIN) });

  it("metafieldsSet stores app metafields on variants, all or none", async () => {
    const variantId = gid("ProductVariant", [...sim.shop(DOMAIN).variants.keys()][0]!);
    const { data } = await client().request(metafieldsSet, {
      metafields: [{ ownerId: variantId, namespace: "$app:lockstep", key: "availability", type: "json", value: '{"available":3}' }],
    });
    expect(data.metafieldsSet.userErrors).toEqual([]);
    expect(data.metafieldsSet.metafields?.[0]).toMatchObject({ namespace: "app--424242--lockstep", key: "availability", owner: { id: variantId } });
    expect(sim.shop(DOMAIN).metafields.get(variantId, "$app:lockstep", "availability")?.value).toBe('{"available":3}');
    const refused = await client().request(metafieldsSet, {
      metafields: [{ ownerId: "gid://shopify/ProductVariant/1", namespace: "$app:lockstep", key: "availability", type: "json", value: "{}" }],
    });
    expect(refused.data.metafieldsSet.userErrors[0]).toMatchObject({ code: "INVALID", elementIndex: 0 });
  });

  it("validationCreate turns a deployed Function on and validations lists it with the shop's time zone", async () => {
    const created = await client().request(validationCreate, {
      validation: { functionHandle: "lockstep-checkout", title: "Lockstep", enable: true, blockOnFailure: true, metafields: [] },
    });
    expect(created.data.validationCreate.userErrors).toEqual([]);
    const { data } = await client().request(checkoutValidations, { first: 25 });
    expect(data.shop.ianaTimezone).toBe("Europe/Paris");
    expect(data.validations.nodes).toEqual([{ id: created.data.validationCreate.validation!.id, enabled: true, shopifyFunction: { handle: "lockstep-checkout" } }]);
    const unknown = await client().request(validationCreate, {
      validation: { functionHandle: "not-deployed", title: "x", enable: true, blockOnFailure: true, metafields: [] },
    });
    expect(unknown.data.validationCreate.userErrors[0]).toMatchObject({ code: "NOT_FOUND" });
  });
});
