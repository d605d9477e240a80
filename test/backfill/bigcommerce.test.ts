import { describe, expect, it } from "vitest";
import { type BackfillDeps, runBackfill } from "../../app/backfill/backfill.server";
import { readBigCommerceCatalog } from "../../app/backfill/bigcommerce.server";
import type { CatalogRow } from "../../app/catalog/catalogRows";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { type BigCommerceStore } from "../../simulators/bigcommerce/server";
import { useTestDatabase } from "../helpers/database";
import { applyWebhookEvents, type CatalogSnapshot, catalogInDatabase, createShop, sortSnapshot } from "./catalogFixture";
import { useBigCommerceSimulator } from "../helpers/simulators";

const { sim, registry: newRegistry, track } = useBigCommerceSimulator();

const getDb = useTestDatabase();
let storeCounter = 0;

async function freshStore() {
  const storeHash = `bfstore${++storeCounter}`;
  const store = sim().addStore({ storeHash, accessToken: "bc_backfill", seed: { products: 9, variantsPerProduct: 2, onHand: 5, locations: ["Warehouse", "Shop floor"] } });
  [...store.inventory.values()][3]!.onHand = 17;
  const registry = newRegistry();
  const client = createBigCommerceClient({ storeHash, accessToken: "bc_backfill", registry, baseUrl: sim().url });
  track(client);
  const shopId = await createShop(getDb(), "bigcommerce", `stores/${storeHash}`);
  const invalidated: string[] = [];
  const deps = (overrides: Partial<BackfillDeps> = {}): BackfillDeps => ({
    sql: getDb().sql,
    // Pages of 4 products: the catalog takes several requests, as a real one does.
    catalogOf: () => readBigCommerceCatalog(client, 4),
    invalidate: async (id) => void invalidated.push(id),
    batchSize: 8,
    ...overrides,
  });
  return { store, client, shopId, deps, invalidated };
}

function catalogInSimulator(store: BigCommerceStore): CatalogSnapshot {
  return sortSnapshot({
    locations: [...store.locations.values()].map((location) => ({ id: String(location.id), name: location.label, active: true })),
    products: [...store.products.values()].map((product) => ({ id: String(product.id), title: product.name, status: "active" })),
    variants: [...store.variants.values()].map((variant) => ({
      id: String(variant.id),
      product: String(variant.product_id),
      item: String(variant.id),
      sku: variant.sku,
      title: variant.sku,
      price: variant.price,
    })),
    levels: [...store.inventory.entries()].map(([key, level]) => {
      const [variantId, locationId] = key.split("@");
      return { item: variantId!, location: locationId!, onHand: level.onHand, committed: 0, incoming: 0 };
    }),
  });
}

describe("BigCommerce backfill through the throttled REST client", () => {
  it("gives a fresh store exactly the simulator's catalog and stock, paged, and invalidates availability", async () => {
    const { store, shopId, deps, invalidated } = await freshStore();
    const record = await runBackfill(deps(), shopId);
    expect(record).toMatchObject({ state: "done", error: null, locations: 2, products: 9, variants: 18, levels: 36 });
    expect(sortSnapshot(await catalogInDatabase(getDb().sql, shopId))).toEqual(catalogInSimulator(store));
    expect(invalidated).toEqual([shopId]);
  });

  it("is idempotent, and a second run takes the store's changes since", async () => {
    const { store, shopId, deps } = await freshStore();
    await runBackfill(deps(), shopId);
    const first = await catalogInDatabase(getDb().sql, shopId);
    await runBackfill(deps(), shopId);
    expect(await catalogInDatabase(getDb().sql, shopId)).toEqual(first);
    [...store.inventory.values()][0]!.onHand = 1;
    [...store.variants.values()][1]!.price = 77;
    expect((await runBackfill(deps(), shopId)).state).toBe("done");
    expect(sortSnapshot(await catalogInDatabase(getDb().sql, shopId))).toEqual(catalogInSimulator(store));
  });

  it("a store that refuses the token marks the backfill failed with BigCommerce's answer, and writes nothing", async () => {
    const { shopId, deps, invalidated } = await freshStore();
    const registry = newRegistry();
    const wrongToken = createBigCommerceClient({ storeHash: `bfstore${storeCounter}`, accessToken: "revoked", registry, baseUrl: sim().url });
    track(wrongToken);
    const record = await runBackfill(deps({ catalogOf: () => readBigCommerceCatalog(wrongToken, 4) }), shopId);
    expect(record.state).toBe("failed");
    expect(record.error).toMatch(/401/);
    expect(await catalogInDatabase(getDb().sql, shopId)).toEqual({ locations: [], products: [], variants: [], levels: [] });
    expect(invalidated).toEqual([]);
  });

  it("leaves alone a level a webhook changed while the backfill was reading", async () => {
    const { store, client, shopId, deps } = await freshStore();
    const variant = [...store.variants.values()][0]!;
    const location = [...store.locations.values()][1]!;
    const rows = async function* (): AsyncGenerator<CatalogRow> {
      let applied = false;
      for await (const row of readBigCommerceCatalog(client, 4)) {
        if (row.kind === "level" && !applied) {
          applied = true;
          await applyWebhookEvents(getDb(), [
            { type: "InventoryLevelChanged", shopId, occurredAt: new Date(), inventoryItemExternalId: String(variant.id), locationExternalId: String(location.id), onHand: 40 },
          ]);
        }
        yield row;
      }
    };
    expect((await runBackfill(deps({ catalogOf: rows }), shopId)).state).toBe("done");
    const levels = (await catalogInDatabase(getDb().sql, shopId)).levels;
    expect(levels.find((level) => level.item === String(variant.id) && level.location === String(location.id))?.onHand).toBe(40);
    const others = levels.filter((level) => !(level.item === String(variant.id) && level.location === String(location.id)));
    expect(others).toEqual(catalogInSimulator(store).levels.filter((level) => !(level.item === String(variant.id) && level.location === String(location.id))));
  });
});

describe("BigCommerce backfill: the feed attributes marketplaces need", () => {
  it("reads each product's brand name through its brand_id from the catalog's brands; none stays none", async () => {
    const { store, shopId, deps } = await freshStore();
    const northwind = store.addBrand("Northwind Outdoor");
    const branded = store.addProduct("Summit Tent", [{ sku: "TENT-BRANDED", price: 300 }], { brandId: northwind });
    const plain = store.addProduct("Camp Mug", [{ sku: "MUG-PLAIN", price: 12 }]);
    await runBackfill(deps(), shopId);
    const brandOf = async (id: number) => (await getDb().sql.query<{ brand: string | null }>(`SELECT brand FROM product WHERE shop_id = $1 AND external_id = $2`, [shopId, String(id)]))[0]!.brand;
    expect(await brandOf(branded.id)).toBe("Northwind Outdoor");
    expect(await brandOf(plain.id)).toBeNull();
  });

  it("fills description, link, image, GTIN (gtin, else upc), MPN, condition and compare-at from the list price above the price", async () => {
    const { store, shopId, deps } = await freshStore();
    const product = store.addProduct(
      "Trail Jacket",
      [
        { sku: "TRAIL-1", price: 80, gtin: "4006381333931", mpn: "TJ-1", retailPrice: 120 },
        { sku: "TRAIL-2", price: 80, retailPrice: 60 },
      ],
      { description: "<p>Light &amp; dry</p>", condition: "Used" },
    );
    await runBackfill(deps(), shopId);
    const rows = await getDb().sql.query<Record<string, string | null>>(
      `SELECT v.sku, p.description, p.url_path, p.image_url, p.brand, p.condition, v.gtin, v.mpn, v.compare_at_price::text AS compare_at
       FROM variant v JOIN product p ON p.id = v.product_id WHERE v.shop_id = $1 AND p.external_id = $2 ORDER BY v.sku`,
      [shopId, String(product.id)],
    );
    const common = { description: "Light & dry", url_path: product.customUrl, image_url: product.imageUrl, brand: null, condition: "used" };
    expect(rows).toEqual([
      { sku: "TRAIL-1", ...common, gtin: "4006381333931", mpn: "TJ-1", compare_at: "120.0000" },
      // A list price below the price is not a regular price: no sale.
      { sku: "TRAIL-2", ...common, gtin: null, mpn: null, compare_at: null },
    ]);
  });
});
