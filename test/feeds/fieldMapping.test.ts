import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { createDestination, listDestinations } from "../../app/batching/destinations.server";
import type { CatalogItem } from "../../app/batching/types";
import { XMLParser } from "fast-xml-parser";
import { runDueDestination } from "../../app/batching/runs.server";
import { loadDestination, requestRun } from "../../app/batching/destinations.server";
import { setProductFeedAttributes } from "../../app/catalog/sql/setProductFeedAttributes";
import { DEMO_PRODUCTS, seedDemoShop } from "../../app/demo/seed.server";
import { amazonListingsAdapter, messageOf, parseAmazonListingsOptions } from "../../app/feeds/amazonListings.server";
import { mappedValue, sourceProblem } from "../../app/feeds/fieldMapping";
import { feedFieldMapping, mappedMetafieldsOfShop, setFeedFieldMapping } from "../../app/feeds/fieldMapping.server";
import { productMetafields } from "../../app/feeds/metafields.server";
import { publishedSnapshot, snapshotChunks } from "../../app/feeds/google/snapshots.server";
import { normaliseShopifyDelivery } from "../../app/webhooks/normalise/shopify";
import { googleFeedAdapter } from "../../app/feeds/google/adapter.server";
import { buildFeedItem, catalogReasons, type GoogleFeedItem } from "../../app/feeds/google/item";
import { parseGoogleFeedOptions } from "../../app/feeds/google/options";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { rejection } from "../helpers/expectations";
import { ENCRYPTION_KEY } from "../batching/pipelineFixture";

function item(overrides: Partial<CatalogItem> = {}): CatalogItem {
  return {
    kind: "catalog",
    shopId: "s",
    sku: "TEE-RED-M",
    variantId: "v",
    version: "2026-12-01T00:00:00.000Z",
    occurredAt: "2026-12-01T00:00:00.000Z",
    changeId: "1",
    productExternalId: "P1",
    variantExternalId: "V1",
    title: "Red / M",
    productTitle: "Tee",
    status: "active",
    price: "19.00",
    currency: "USD",
    description: "A tee.",
    link: "/products/tee",
    imageUrl: "https://cdn.example/tee.jpg",
    brand: "Vendor Co",
    ...overrides,
  };
}

describe("field mapping: which catalog field feeds which marketplace attribute", () => {
  it("takes the first source with a value, a field, a metafield or a fixed value", () => {
    expect(mappedValue(item({ brand: " " }), ["field:brand", "value:House"])).toBe("House");
    const withMetafields = item({ metafields: { "custom.brand": "Acme", "custom.blank": " " } });
    expect(mappedValue(withMetafields, ["metafield:custom.brand", "field:brand"])).toBe("Acme");
    expect(mappedValue(withMetafields, ["metafield:custom.blank", "metafield:custom.absent", "field:brand"])).toBe("Vendor Co");
    expect(mappedValue(item(), ["metafield:custom.brand"])).toBe("");
    expect(mappedValue(item(), ["field:brand", "value:House"])).toBe("Vendor Co");
    expect(mappedValue(item({ mpn: undefined }), ["field:mpn", "field:sku"])).toBe("TEE-RED-M");
    expect(mappedValue(item(), [])).toBe("");
  });

  it("defaults read the platform columns: the demo catalog's brand and GTIN go through unchanged", () => {
    const options = parseGoogleFeedOptions({ storeUrl: "https://shop.example" });
    expect(options.fieldMapping).toEqual({ brand: ["field:brand"], gtin: ["field:gtin"], mpn: ["field:mpn"], google_product_category: [] });
    const built = buildFeedItem(item({ gtin: "4006381333931" }), { available: 3 }, undefined, options) as GoogleFeedItem;
    expect(built).toMatchObject({ brand: "Vendor Co", gtin: "4006381333931", mpn: "", identifier_exists: "", google_product_category: "" });
  });

  it("a mapped brand, MPN and category reach the Google item, and the identifier rules apply to the mapped values", () => {
    const options = parseGoogleFeedOptions({
      storeUrl: "https://shop.example",
      fieldMapping: { brand: ["value:Lockstep Outfitters"], mpn: ["field:mpn", "field:sku"], google_product_category: ["value:Apparel & Accessories > Clothing > Shirts & Tops"] },
    });
    const built = buildFeedItem(item(), { available: 3 }, undefined, options) as GoogleFeedItem;
    expect(built).toMatchObject({ brand: "Lockstep Outfitters", mpn: "TEE-RED-M", identifier_exists: "", google_product_category: "Apparel & Accessories > Clothing > Shirts & Tops" });
    // A GTIN read from a field holding no GTIN is caught by the rules, as a platform barcode would be.
    const wrongGtin = parseGoogleFeedOptions({ storeUrl: "https://shop.example", fieldMapping: { gtin: ["field:sku"] } });
    expect(catalogReasons(item(), wrongGtin)).toEqual(["gtin: not a valid GTIN-8/12/13/14 (length or check digit)"]);
    const noBrand = parseGoogleFeedOptions({ storeUrl: "https://shop.example", fieldMapping: { brand: [], mpn: ["field:sku"] } });
    expect(catalogReasons(item(), noBrand)).toEqual(["brand: required with a gtin or mpn"]);
  });

  it.each([
    [{ brand: ["field:colour"] }, "options.fieldMapping.brand.0"],
    [{ brand: ["attribute:colour"] }, "options.fieldMapping.brand.0"],
    [{ gtin: ["metafield:custom"] }, "options.fieldMapping.gtin.0"],
    [{ gtin: ["metafield:custom.gtin;drop"] }, "options.fieldMapping.gtin.0"],
    [{ gtin: "field:gtin" }, "options.fieldMapping.gtin"],
    [{ brand: ["value:"] }, "options.fieldMapping.brand.0"],
    [{ colour: ["field:brand"] }, "options.fieldMapping"],
    [{ mpn: ["field:mpn", "field:mpn", "field:mpn", "field:mpn", "field:mpn", "field:mpn"] }, "options.fieldMapping.mpn"],
  ])("refuses a bad Google mapping %j with 400 naming %s", (fieldMapping, field) => {
    let error: unknown;
    try {
      parseGoogleFeedOptions({ storeUrl: "https://shop.example", fieldMapping });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "invalid_destination", status: 400, details: { field } });
  });

  it("an unknown mapping source is refused with a message naming it and the sources there are", () => {
    expect(sourceProblem("attribute:colour")).toBe('unknown mapping source "attribute:colour": a source is field:<brand|gtin|mpn|sku|productTitle|title>, metafield:<namespace>.<key> or value:<text>');
    expect(sourceProblem("field:colour")).toBe('unknown field "colour" in source "field:colour": the fields are brand, gtin, mpn, sku, productTitle, title');
    expect(sourceProblem("metafield:brand")).toBe('source "metafield:brand": a metafield is metafield:<namespace>.<key> (letters, digits, _ and -)');
    for (const good of ["field:brand", "metafield:custom.brand", "metafield:mm-google-shopping.google_product_category", "value:Acme"]) expect(sourceProblem(good)).toBeUndefined();
    let error: unknown;
    try {
      parseGoogleFeedOptions({ storeUrl: "https://shop.example", fieldMapping: { brand: ["attribute:colour"] } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "invalid_destination", status: 400, message: expect.stringContaining('unknown mapping source "attribute:colour"') });
    expect(() => parseAmazonListingsOptions({ sellerId: "S", productType: { sources: ["attribute:type"] } })).toThrow(/options\.productType\.sources\.0: unknown mapping source "attribute:type"/);
  });

  it("Amazon's product type comes from its sources (a metafield), else the SKU prefix mapping, else its default", () => {
    const settings = parseAmazonListingsOptions({ sellerId: "S", productType: { sources: ["metafield:amazon.product_type"], default: "PRODUCT", bySkuPrefix: { "TEE-": "SHIRT" } } });
    expect(messageOf(item({ metafields: { "amazon.product_type": "PANTS" } }), settings)).toMatchObject({ productType: "PANTS" });
    // A value not spelt as a product type falls through to the prefix mapping.
    expect(messageOf(item({ metafields: { "amazon.product_type": "pants, long" } }), settings)).toMatchObject({ productType: "SHIRT" });
    expect(messageOf(item(), settings)).toMatchObject({ productType: "SHIRT" });
    expect(messageOf(item({ sku: "MUG-1" }), settings)).toMatchObject({ productType: "PRODUCT" });
  });
});

describe("field mapping: staff read and change it per destination", () => {
  let db: TestDatabase;
  let shopId: string;
  const registry = createLimiterRegistry();
  const adapters = () => adapterRegistry([googleFeedAdapter({ sql: db.sql }), amazonListingsAdapter({ registry })]);
  const deps = () => ({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapters() });

  beforeAll(async () => {
    db = await createTestDatabase();
    const [shop] = await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', 'mapping.myshopify.com') RETURNING id`);
    shopId = shop!.id;
  }, 240_000);
  afterAll(async () => {
    await registry.close();
    await db.close();
  });

  const google = () =>
    createDestination(deps(), shopId, {
      name: `Google ${Math.random().toString(36).slice(2, 8)}`,
      kind: "google_feed",
      endpoint: "https://shop.example",
      receives: ["catalog"],
      mode: "live",
      options: { storeUrl: "https://shop.example", title: "Kept" },
    });
  const stored = async (id: string) => (await listDestinations(db.sql, shopId)).find((destination) => destination.id === id)!;

  it("shows the defaults, stores a change with the other options kept, and asks for a full run", async () => {
    const { id } = await google();
    expect(await feedFieldMapping(db.sql, shopId, id)).toEqual({
      kind: "google_feed",
      fields: ["brand", "gtin", "mpn", "sku", "productTitle", "title"],
      mapping: { brand: ["field:brand"], gtin: ["field:gtin"], mpn: ["field:mpn"], google_product_category: [] },
      defaultBrand: null,
    });
    await db.sql.query(`UPDATE destination SET requested_run = NULL WHERE id = $1`, [id]);
    const changed = await setFeedFieldMapping(deps(), shopId, id, { google_product_category: ["value:Home & Garden"], defaultBrand: "House" });
    expect(changed).toMatchObject({ mapping: { brand: ["field:brand"], google_product_category: ["value:Home & Garden"] }, defaultBrand: "House" });
    const destination = await stored(id);
    expect(destination.options).toMatchObject({ title: "Kept", defaultBrand: "House", fieldMapping: { google_product_category: ["value:Home & Garden"] } });
    expect(destination.requestedRun).toBe("full");
    expect(await feedFieldMapping(db.sql, shopId, id)).toEqual(changed);
  });

  it("a bad mapping is refused with 400 and nothing is written", async () => {
    const { id } = await google();
    const before = await stored(id);
    const error = await rejection(setFeedFieldMapping(deps(), shopId, id, { brand: ["field:colour"] }));
    expect(error).toMatchObject({ code: "invalid_destination", status: 400 });
    expect(error.message).toContain("options.fieldMapping.brand.0");
    expect((await rejection(setFeedFieldMapping(deps(), shopId, id, ["field:brand"]))).code).toBe("invalid_destination");
    expect(await stored(id)).toEqual(before);
  });

  it("Amazon: the product type mapping is changed the same way; another attribute or a bad type is refused", async () => {
    const amazon = await createDestination(deps(), shopId, {
      name: "Amazon",
      kind: "amazon_listings",
      endpoint: "https://sellingpartnerapi-na.amazon.com",
      credentials: { accessToken: "t" },
      receives: ["price"],
      options: { sellerId: "S" },
    });
    expect(await feedFieldMapping(db.sql, shopId, amazon.id)).toEqual({ kind: "amazon_listings", productType: { sources: [], default: "PRODUCT", bySkuPrefix: {} } });
    expect(await setFeedFieldMapping(deps(), shopId, amazon.id, { productType: { default: null, bySkuPrefix: { "TEE-": "SHIRT" } } })).toEqual({
      kind: "amazon_listings",
      productType: { sources: [], default: null, bySkuPrefix: { "TEE-": "SHIRT" } },
    });
    expect((await rejection(setFeedFieldMapping(deps(), shopId, amazon.id, { brand: ["field:brand"] }))).code).toBe("invalid_destination");
    const bad = await rejection(setFeedFieldMapping(deps(), shopId, amazon.id, { productType: { default: "shirt" } }));
    expect(bad).toMatchObject({ code: "invalid_destination", status: 400 });
    expect((await stored(amazon.id)).options).toMatchObject({ productType: { default: null, bySkuPrefix: { "TEE-": "SHIRT" } } });
  });

  it("an unknown destination is 404, a destination that is no marketplace 400", async () => {
    expect(await rejection(feedFieldMapping(db.sql, shopId, "00000000-0000-4000-8000-000000000000"))).toMatchObject({ code: "destination_not_found", status: 404 });
    const [erp] = await db.sql.query<{ id: string }>(
      `INSERT INTO destination (id, shop_id, name, kind, endpoint, signing_secret_sealed, receives, updated_at)
       VALUES (gen_random_uuid(), $1, 'ERP', 'erp_http', 'http://127.0.0.1:9/erp', 'sealed', ARRAY['price'], now()) RETURNING id`,
      [shopId],
    );
    expect(await rejection(feedFieldMapping(db.sql, shopId, erp!.id))).toMatchObject({ code: "invalid_destination", status: 400 });
  });

  it("metafields as sources: stored from the products webhook, they feed the Google brand, GTIN and category and Amazon's product type", async () => {
    const { shop } = await seedDemoShop(db.prisma, { apiToken: "lst_demo_token_for_the_mapping_test" });
    const product = DEMO_PRODUCTS[0]!;
    const sku = product.variants[0]!.sku;
    // Shopify's products/update payload carries the metafields of the namespaces its subscription names.
    const [event] = normaliseShopifyDelivery({
      shopId: shop.id,
      topic: "products/update",
      triggeredAt: null,
      receivedAt: new Date(),
      payload: JSON.stringify({
        id: product.id,
        title: product.title,
        updated_at: "2026-12-03T08:00:00Z",
        variants: [],
        metafields: [
          { namespace: "custom", key: "brand", value: "Acme Outdoor" },
          { namespace: "custom", key: "gtin", value: "4006381333931" },
          { namespace: "google", key: "category", value: "Sporting Goods > Outdoor Recreation > Camping & Hiking" },
          { namespace: "amazon", key: "product_type", value: "SPORTING_GOODS" },
        ],
      }),
    });
    const attributes = (event as { attributes?: { metafields?: Record<string, string> } }).attributes!;
    expect(attributes.metafields).toEqual({
      "custom.brand": "Acme Outdoor",
      "custom.gtin": "4006381333931",
      "google.category": "Sporting Goods > Outdoor Recreation > Camping & Hiking",
      "amazon.product_type": "SPORTING_GOODS",
    });
    const [row] = await db.sql.query<{ id: string; description: string | null; url_path: string | null; image_url: string | null; brand: string | null }>(
      `SELECT p.id, p.description, p.url_path, p.image_url, p.brand FROM product p JOIN variant v ON v.product_id = p.id WHERE v.shop_id = $1 AND v.sku = $2`,
      [shop.id, sku],
    );
    const kept = { description: row!.description ?? undefined, urlPath: row!.url_path ?? undefined, imageUrl: row!.image_url ?? undefined, brand: row!.brand ?? undefined };
    await setProductFeedAttributes(db.sql, row!.id, { ...kept, metafields: attributes.metafields });
    // A later report without metafields (a subscription naming none) keeps the stored ones.
    await setProductFeedAttributes(db.sql, row!.id, kept);

    const google = await createDestination(deps(), shop.id, {
      name: "Google metafields",
      kind: "google_feed",
      endpoint: "https://demo-shop.myshopify.com",
      receives: ["catalog"],
      mode: "live",
      options: {
        storeUrl: "https://demo-shop.myshopify.com",
        currency: "USD",
        fieldMapping: { brand: ["metafield:custom.brand", "field:brand"], gtin: ["metafield:custom.gtin", "field:gtin"], google_product_category: ["metafield:google.category"] },
      },
    });
    const amazon = await createDestination(deps(), shop.id, {
      name: "Amazon metafields",
      kind: "amazon_listings",
      endpoint: "https://sellingpartnerapi-na.amazon.com",
      credentials: { accessToken: "t" },
      receives: ["price"],
      options: { sellerId: "S", productType: { sources: ["metafield:amazon.product_type"], default: "PRODUCT" } },
    });
    // What the backfill reads along for this shop.
    expect(await mappedMetafieldsOfShop(db.sql, shop.id)).toEqual(["amazon.product_type", "custom.brand", "custom.gtin", "google.category"]);

    await requestRun(db.sql, shop.id, google.id, "full");
    expect(await runDueDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY, adapters: adapters(), owner: "test" }, google.id)).toMatchObject({ status: "succeeded" });
    const snapshot = await publishedSnapshot(db.sql, google.id);
    const parts: Buffer[] = [];
    for await (const chunk of snapshotChunks(db.sql, snapshot!.snapshotId, "xml")) parts.push(chunk);
    const items = new XMLParser({ parseTagValue: false, isArray: (name) => name === "item" }).parse(Buffer.concat(parts).toString()).rss.channel.item as Array<Record<string, string>>;
    const mapped = items.filter((entry) => product.variants.some((variant) => variant.sku === entry["g:id"]));
    expect(mapped.length).toBe(product.variants.length);
    for (const entry of mapped) {
      expect(entry).toMatchObject({ "g:brand": "Acme Outdoor", "g:gtin": "4006381333931", "g:google_product_category": "Sporting Goods > Outdoor Recreation > Camping & Hiking" });
    }
    // Products without the metafields fall back to the next source (the catalog's brand).
    const others = items.filter((entry) => !mapped.includes(entry));
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((entry) => entry["g:brand"] === "Lockstep Outfitters")).toBe(true);

    // Amazon: the adapter's prepare adds the named metafields, and the message carries the product type they give.
    const adapter = amazonListingsAdapter({ registry, metafields: productMetafields(db.sql) });
    const destination = await loadDestination({ sql: db.sql, encryptionKey: ENCRYPTION_KEY }, amazon.id);
    const priceItem = { kind: "price", shopId: shop.id, sku, variantId: "v", version: "", occurredAt: "", changeId: "1", price: "10.00", currency: "USD" } as const;
    const otherSku = DEMO_PRODUCTS[1]!.variants[0]!.sku;
    const prepared = await adapter.prepare!([priceItem, { ...priceItem, sku: otherSku }], destination);
    const settings = parseAmazonListingsOptions(destination.options);
    expect(prepared.map((entry) => messageOf(entry, settings).productType)).toEqual(["SPORTING_GOODS", "PRODUCT"]);
  });
});
