// The catalog attributes marketplace feeds need, as the platforms send them: one place turns
// Shopify's and BigCommerce's shapes into Lockstep's (plain text, lower-case condition).

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** Product descriptions arrive as HTML; feeds want plain text (Google rejects markup-only text). */
export function plainText(html: string | undefined | null): string | undefined {
  if (html === undefined || html === null) return undefined;
  const text = html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(/<br\s*\/?>|<\/(p|div|li|h[1-6])>/gi, "\n")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
      if (name.startsWith("#x") || name.startsWith("#X")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      if (name.startsWith("#")) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/[ \t\f\v]+/g, " ")
    .replace(/ *\n[\s]*/g, "\n")
    .trim();
  return text;
}

/** new | used | refurbished, or undefined for anything else (BigCommerce sends `New`, `Used`, `Refurbished`). */
export function conditionOf(value: string | undefined): string | undefined {
  const condition = value?.trim().toLowerCase();
  return condition === "new" || condition === "used" || condition === "refurbished" ? condition : undefined;
}

/** An identifier as the platform sent it, or undefined when blank. */
export function identifierOf(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** What marketplace feeds need of a product besides its title (Google Merchant attributes). */
export interface ProductFeedAttributes {
  /** Plain text (HTML stripped). */
  description?: string;
  /** Storefront path of the product page: Shopify `/products/{handle}`, BigCommerce `custom_url.url`. */
  urlPath?: string;
  imageUrl?: string;
  brand?: string;
  /** new | used | refurbished */
  condition?: string;
  /**
   * Product metafields by `namespace.key` (values as text): the ones marketplace field mappings
   * name. Absent: the report said nothing of metafields, and the stored ones stay.
   */
  metafields?: Record<string, string>;
}

/** Metafields as Shopify sends them (`[{namespace, key, value}]`), by `namespace.key`; undefined when `raw` is not a list. */
export function metafieldsOf(raw: unknown): Record<string, string> | undefined {
  if (!Array.isArray(raw)) return undefined;
  const metafields: Record<string, string> = {};
  for (const entry of raw as Array<{ namespace?: unknown; key?: unknown; value?: unknown }>) {
    if (typeof entry?.namespace === "string" && typeof entry.key === "string" && entry.value !== undefined && entry.value !== null) {
      metafields[`${entry.namespace}.${entry.key}`] = typeof entry.value === "string" ? entry.value : JSON.stringify(entry.value);
    }
  }
  return metafields;
}
