// Which catalog field feeds which marketplace attribute, per destination (staff set it; it is
// stored in the destination's options and validated with them). A mapping lists sources in
// order: the first that gives a non-empty value wins. A source is a catalog field
// (`field:brand`) or a fixed value (`value:Acme`), for a one-brand shop or one category.

import { z } from "zod";
import type { CatalogItem } from "../batching/types";

/** The catalog fields a mapping may read (the platform's vendor/brand, barcode, MPN, SKU, titles). */
export const MAPPABLE_FIELDS = ["brand", "gtin", "mpn", "sku", "productTitle", "title"] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];

const SOURCE = new RegExp(`^(field:(${MAPPABLE_FIELDS.join("|")})|value:\\S.{0,749})$`, "s");

export const fieldSources = z
  .array(
    z
      .string()
      .regex(SOURCE, `a source is field:<${MAPPABLE_FIELDS.join("|")}> or value:<text> (at most 750 characters)`),
  )
  .max(5, "at most 5 sources per attribute");

/** Google Merchant attributes a mapping feeds; the defaults read the columns the platforms fill. */
export const googleFieldMapping = z
  .object({
    brand: fieldSources.default(["field:brand"]),
    gtin: fieldSources.default(["field:gtin"]),
    mpn: fieldSources.default(["field:mpn"]),
    /** Google's taxonomy (`Apparel & Accessories > Clothing`) or its numeric id; none by default. */
    google_product_category: fieldSources.default([]),
  })
  .strict()
  .default({ brand: ["field:brand"], gtin: ["field:gtin"], mpn: ["field:mpn"], google_product_category: [] });

export type GoogleFieldMapping = z.output<typeof googleFieldMapping>;

function fieldValue(item: CatalogItem, field: MappableField): string | undefined {
  const value = item[field];
  return typeof value === "string" ? value : undefined;
}

/** The value the first source that has one gives, trimmed; "" when none does. */
export function mappedValue(item: CatalogItem, sources: readonly string[]): string {
  for (const source of sources) {
    const value = source.startsWith("value:") ? source.slice("value:".length) : fieldValue(item, source.slice("field:".length) as MappableField);
    const trimmed = value?.trim();
    if (trimmed) return trimmed;
  }
  return "";
}
