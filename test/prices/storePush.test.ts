import { describe, expect, it } from "vitest";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { bigCommercePricePush } from "../../app/prices/storePush.server";
import { useBigCommerceSimulator } from "../helpers/simulators";

const { sim, registry, track } = useBigCommerceSimulator();

describe("BigCommerce price push", () => {
  it("sets variant prices with the batch variant endpoint, 50 a call, through the store's throttled client", async () => {
    const store = sim().addStore({ storeHash: "pricepush", accessToken: "bc_prices", seed: { products: 30, variantsPerProduct: 2, onHand: 1, locations: ["Main"] } });
    const client = track(createBigCommerceClient({ storeHash: "pricepush", accessToken: "bc_prices", registry: registry(), baseUrl: sim().url }));
    const push = bigCommercePricePush(async () => client);
    const variants = [...store.variants.values()];
    await push("shop", variants.map((variant, i) => ({ variantExternalId: String(variant.id), productExternalId: String(variant.product_id), amount: `${i + 1}.25`, compareAt: null })));
    expect(variants.map((variant) => variant.price)).toEqual(variants.map((_, i) => i + 1.25));
    expect(sim().stats("pricepush").requests).toBe(2);
  });

  it("a refused batch (unknown variant) fails the push, so the activation is retried, and changes nothing of that batch", async () => {
    const store = sim().addStore({ storeHash: "pricerefused", accessToken: "bc_prices", seed: { products: 1, variantsPerProduct: 1, onHand: 1, locations: ["Main"] } });
    const client = track(createBigCommerceClient({ storeHash: "pricerefused", accessToken: "bc_prices", registry: registry(), baseUrl: sim().url }));
    const [variant] = [...store.variants.values()];
    const before = variant!.price;
    const push = bigCommercePricePush(async () => client);
    await expect(
      push("shop", [
        { variantExternalId: String(variant!.id), productExternalId: "1", amount: "99.00", compareAt: null },
        { variantExternalId: "987654", productExternalId: "1", amount: "1.00", compareAt: null },
      ]),
    ).rejects.toThrow();
    expect(variant!.price).toBe(before);
  });
});
