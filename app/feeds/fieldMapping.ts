// Which catalog field feeds which marketplace attribute, per destination (staff set it; it is
// stored in the destination's options and validated with them). A mapping lists sources in
// order: the first that gives a non-empty value wins. A source is a catalog field
// (`field:brand`), a product metafield (`metafield:custom.brand`: Lockstep keeps the metafields a
// mapping names, see `mappedMetafields`) or a fixed value (`value:Acme`), for a one-brand shop or
// one category.

import { z } from "zod";
import type { PushedItem } from "../batching/types";

/** The catalog fields a mapping may read (the platform's vendor/brand, barcode, MPN, SKU, titles). */
export const MAPPABLE_FIELDS = ["brand", "gtin", "mpn", "sku", "productTitle", "title"] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];

/** `namespace.key` as Shopify spells a metafield's identity (letters, digits, `_` and `-` in each part). */
const METAFIELD = /^[A-Za-z0-9_-]{1,255}\.[A-Za-z0-9_-]{1,64}$/;
const FIELD = new Set<string>(MAPPABLE_FIELDS);

/** Why `source` is not a mapping source; undefined: it is one. */
export function sourceProblem(source: string): string | undefined {
  const colon = source.indexOf(":");
  const kind = colon < 0 ? "" : source.slice(0, colon);
  const rest = source.slice(colon + 1);
  if (kind === "field" && FIELD.has(rest)) return undefined;
  if (kind === "metafield" && METAFIELD.test(rest)) return undefined;
  if (kind === "value" && /^\S/.test(rest) && rest.length <= 750) return undefined;
  const shown = source.length > 60 ? `${source.slice(0, 60)}…` : source;
  if (kind === "field") return `unknown field "${rest}" in source "${shown}": the fields are ${MAPPABLE_FIELDS.join(", ")}`;
  if (kind === "metafield") return `source "${shown}": a metafield is metafield:<namespace>.<key> (letters, digits, _ and -)`;
  if (kind === "value") return `source "${shown}": a fixed value is value:<text>, not blank, at most 750 characters`;
  return `unknown mapping source "${shown}": a source is field:<${MAPPABLE_FIELDS.join("|")}>, metafield:<namespace>.<key> or value:<text>`;
}

const fieldSource = z.string().superRefine((source, context) => {
  const problem = sourceProblem(source);
  if (problem) context.addIssue({ code: "custom", message: problem });
});

export const fieldSources = z.array(fieldSource).max(5, "at most 5 sources per attribute");

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

function fieldValue(item: PushedItem, field: string): string | undefined {
  const value = (item as unknown as Record<string, unknown>)[field];
  return typeof value === "string" ? value : undefined;
}

/** The value the first source that has one gives, trimmed; "" when none does. */
export function mappedValue(item: PushedItem, sources: readonly string[]): string {
  for (const source of sources) {
    let value: string | undefined;
    if (source.startsWith("value:")) value = source.slice("value:".length);
    else if (source.startsWith("metafield:")) value = item.metafields?.[source.slice("metafield:".length)];
    else value = fieldValue(item, source.slice("field:".length));
    const trimmed = value?.trim();
    if (trimmed) return trimmed;
  }
  return "";
}

/** The metafields (`namespace.key`) a list of sources reads. */
export function mappedMetafields(sources: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const source of sources) if (source.startsWith("metafield:")) names.add(source.slice("metafield:".length));
  return [...names].sort();
}
