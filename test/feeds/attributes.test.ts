import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conditionOf, plainText } from "../../app/catalog/feedAttributes";
import type { BigCommerceReader } from "../../app/platforms/bigcommerce/readBack";
import { normaliseBigCommerceDelivery } from "../../app/webhooks/normalise/bigcommerce";
import { normaliseShopifyDelivery } from "../../app/webhooks/normalise/shopify";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { applyInTransaction } from "../batching/pipelineFixture";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
}, 240_000);
afterAll(async () => {
  await db.close();
});
const getDb = () => db;

const at = new Date("2026-12-01T12:00:00Z");

function shopifyProduct(shopId: string, overrides: Record<string, unknown> = {}) {
  return normaliseShopifyDelivery({
    shopId,
    topic: "products/update",
    triggeredAt: at,
    receivedAt: at,
    payload: JSON.stringify({
      id: 501,
      title: "Trail Shoe",
      handle: "trail-shoe",
      body_html: "<p>Grippy &amp; light.</p><ul><li>Lugged sole</li></ul>",
      vendor: "Acme",
      image: { src: "https://cdn.example/shoe.jpg" },
      updated_at: at.toISOString(),
      variants: [{ id: 601, sku: "SHOE-1", title: "42", price: "99.00", compare_at_price: "129.00", barcode: "4006381333931", inventory_item_id: 701 }],
      ...overrides,
    }),
  });
}

describe("feed attributes from the platforms", () => {
  it("turns description HTML into plain text and keeps only known conditions", () => {
    expect(plainText("<p>Grippy &amp; light.</p><ul><li>Lugged&#32;sole</li></ul><script>x()</script>")).toBe("Grippy & light.\nLugged sole");
    expect(plainText(undefined)).toBeUndefined();
    expect(conditionOf("Refurbished")).toBe("refurbished");
    expect(conditionOf("mint")).toBeUndefined();
  });

  it("Shopify products/update carries description, link path, image, vendor as brand, barcode as GTIN and compare-at", async () => {
    const db = getDb();
    const [shop] = await db.sql.query<{ id: string }>(`INSERT INTO shop (id, platform, domain) VALUES (gen_random_uuid(), 'shopify', 'attrs.myshopify.com') RETURNING id`);
    const events = shopifyProduct(shop!.id);
    expect(events[0]).toMatchObject({
      type: "ProductChanged",
      attributes: { description: "Grippy & light.\nLugged sole", urlPath: "/products/trail-shoe", imageUrl: "https://cdn.example/shoe.jpg", brand: "Acme" },
      variants: [{ gtin: "4006381333931" }],
    });
    expect(events[1]).toMatchObject({ type: "VariantPriceChanged", price: "99.00", compareAtPrice: "129.00" });
    await applyInTransaction(db, events);
    const [row] = await db.sql.query<Record<string, string | null>>(
      `SELECT p.description, p.url_path, p.image_url, p.brand, p.condition, v.gtin, v.mpn, v.compare_at_price::text AS compare_at, v.price::text AS price
       FROM variant v JOIN product p ON p.id = v.product_id WHERE v.shop_id = $1`,
      [shop!.id],
    );
    expect(row).toEqual({
      description: "Grippy & light.\nLugged sole",
      url_path: "/products/trail-shoe",
      image_url: "https://cdn.example/shoe.jpg",
      brand: "Acme",
      condition: null,
      gtin: "4006381333931",
      mpn: null,
      compare_at: "129.0000",
      price: "99.0000",
    });
    // A later update without a sale clears compare-at; one without a barcode clears the GTIN.
    const later = new Date(at.getTime() + 60_000);
    await applyInTransaction(
      db,
      shopifyProduct(shop!.id, { updated_at: later.toISOString(), variants: [{ id: 601, sku: "SHOE-1", title: "42", price: "109.00", compare_at_price: null, barcode: "", inventory_item_id: 701 }] }),
    );
    const [after] = await db.sql.query<Record<string, string | null>>(`SELECT gtin, compare_at_price::text AS compare_at FROM variant WHERE shop_id = $1`, [shop!.id]);
    expect(after).toEqual({ gtin: null, compare_at: null });
  });

  it("BigCommerce products read back carry description, custom URL, thumbnail, condition, brand, GTIN/UPC and MPN", async () => {
    const reader: BigCommerceReader = {
      getProduct: async () => ({
        id: "77",
        name: "Tent",
        visible: true,
        dateModified: at,
        description: "<p>Two <b>person</b> tent</p>",
        customUrl: "/tent/",
        imageUrl: "https://cdn11.example/tent.jpg",
        condition: "Used",
        brand: "Northwind Outdoor",
        variants: [{ id: "78", sku: "TENT-1", price: "300.00", title: "TENT-1", gtin: "012345678905", mpn: "TX-2" }],
      }),
      getInventoryLevels: async () => [],
      getOrder: async () => null,
      getRefunds: async () => [],
    };
    const events = await normaliseBigCommerceDelivery(
      { shopId: "s", shopDomain: "stores/abc", topic: "store/product/updated", payload: JSON.stringify({ data: { type: "product", id: 77 }, created_at: at.getTime() / 1000 }) },
      reader,
    );
    expect(events[0]).toMatchObject({
      type: "ProductChanged",
      attributes: { description: "Two person tent", urlPath: "/tent/", imageUrl: "https://cdn11.example/tent.jpg", condition: "used", brand: "Northwind Outdoor" },
      variants: [{ sku: "TENT-1", gtin: "012345678905", mpn: "TX-2" }],
    });
  });
});
