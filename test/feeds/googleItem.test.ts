import { parse as parseCsv } from "csv-parse/sync";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import type { CatalogItem } from "../../app/batching/types";
import { buildFeedItem, catalogReasons, type GoogleFeedItem, isValidGtin } from "../../app/feeds/google/item";
import { parseGoogleFeedOptions } from "../../app/feeds/google/options";
import { tsvFeedWriter, xmlFeedWriter } from "../../app/feeds/google/writers";

const options = parseGoogleFeedOptions({ storeUrl: "https://shop.example", currency: "EUR" });

function item(overrides: Partial<CatalogItem> = {}): CatalogItem {
  return {
    kind: "catalog",
    shopId: "s",
    sku: "SKU-1",
    variantId: "v",
    version: "2026-12-01T00:00:00.000Z",
    occurredAt: "2026-12-01T00:00:00.000Z",
    changeId: "1",
    productExternalId: "P1",
    variantExternalId: "V1",
    title: "Green",
    productTitle: "Backpack",
    status: "active",
    price: "49.90",
    currency: "EUR",
    description: "A pack.",
    link: "/products/backpack",
    imageUrl: "https://cdn.example/pack.jpg",
    brand: "Acme",
    ...overrides,
  };
}

describe("Google item rules", () => {
  it.each([
    ["id missing (placeholder SKU)", { sku: "#123" }, "id: the variant has no SKU"],
    ["id over 50 characters", { sku: "X".repeat(51) }, "id: SKU longer than 50 characters"],
    ["title missing", { title: "", productTitle: "" }, "title: missing"],
    ["description missing", { description: " " }, "description: missing"],
    ["description over 5000", { description: "d".repeat(5001) }, "description: longer than 5000 characters"],
    ["link missing", { link: undefined }, "link: the product has no storefront URL"],
    ["image missing", { imageUrl: undefined }, "image_link: the product has no image"],
    ["image not http", { imageUrl: "ftp://x/y.jpg" }, "image_link: not an http(s) URL"],
    ["price zero", { price: "0" }, "price: missing or not above zero"],
    ["bad condition", { condition: "mint" }, "condition: not new, used or refurbished"],
    ["bad GTIN check digit", { gtin: "4006381333932" }, "gtin: not a valid GTIN-8/12/13/14 (length or check digit)"],
    ["MPN without brand", { mpn: "X-1", brand: undefined }, "brand: required with a gtin or mpn"],
  ])("rejects: %s", (_name, overrides, reason) => {
    expect(catalogReasons(item(overrides as Partial<CatalogItem>), options)).toContain(reason);
  });

  it("accepts a complete item and fills the identifier matrix", () => {
    expect(catalogReasons(item(), options)).toEqual([]);
    const none = buildFeedItem(item(), { available: 3 }, undefined, options) as GoogleFeedItem;
    expect(none).toMatchObject({ id: "SKU-1", title: "Backpack - Green", link: "https://shop.example/products/backpack", identifier_exists: "no", condition: "new", availability: "in_stock", price: "49.90 EUR" });
    const withGtin = buildFeedItem(item({ gtin: "4006381333931" }), { available: 0 }, undefined, options) as GoogleFeedItem;
    expect(withGtin).toMatchObject({ gtin: "4006381333931", identifier_exists: "", availability: "out_of_stock" });
    expect(isValidGtin("012345678905")).toBe(true);
    expect(catalogReasons(item({ brand: undefined }), parseGoogleFeedOptions({ storeUrl: "https://s.example", defaultBrand: "House", currency: "EUR" }))).toEqual([]);
  });

  it("sends preorder with its date, rejects one without; sale from compare-at and from a scheduled sale", () => {
    expect(buildFeedItem(item(), { available: 2, virtualStock: { kind: "backorder", promiseDate: "2027-02-01T00:00:00Z" } }, undefined, options)).toMatchObject({ availability: "backorder", availability_date: "2027-02-01T00:00:00.000Z" });
    expect(buildFeedItem(item(), { available: 2, virtualStock: { kind: "preorder", promiseDate: null } }, undefined, options)).toEqual({ reason: "availability_date: preorder without a promise date" });
    expect(buildFeedItem(item({ compareAtPrice: "59.90" }), { available: 1 }, undefined, options)).toMatchObject({ price: "59.90 EUR", sale_price: "49.90 EUR", sale_price_effective_date: "" });
    expect(buildFeedItem(item(), { available: 1 }, { amount: "39.90", from: "2026-12-24T00:00:00Z", to: "2026-12-27T00:00:00Z" }, options)).toMatchObject({
      price: "49.90 EUR",
      sale_price: "39.90 EUR",
      sale_price_effective_date: "2026-12-24T00:00:00Z/2026-12-27T00:00:00Z",
    });
  });

  it("writes XML that parses back and TSV whose values never break a row (tabs, newlines, markup, control characters)", () => {
    const tricky = buildFeedItem(item({ productTitle: "Pack <b>&\ttab", description: "line one\nline two\u0001" }), { available: 1 }, undefined, options) as GoogleFeedItem;
    let xml = "";
    let tsv = "";
    const x = xmlFeedWriter((text) => (xml += text), { title: "Feed", link: "https://shop.example", description: "d" });
    const t = tsvFeedWriter((text) => (tsv += text));
    x.write([tricky]);
    t.write([tricky]);
    x.end();
    t.end();
    const parsed = new XMLParser({ parseTagValue: false, isArray: (name) => name === "item" }).parse(xml);
    expect(parsed.rss.channel.item[0].title).toBe("Pack <b>&\ttab - Green");
    expect(parsed.rss.channel.item[0].description).toBe("line one\nline two");
    const rows = parseCsv(tsv, { delimiter: "\t", columns: true, quote: false }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: "SKU-1", title: "Pack <b>& tab - Green", description: "line one line two" });
  });
});
