// One Google Merchant feed item: built from a catalog item and Lockstep's availability, checked
// against Google's rules (destination-facts.md: id ≤ 50 and stable, title, description 1–5,000,
// link, image_link, availability (+ availability_date), price with currency, condition, the
// brand/gtin/mpn/identifier_exists matrix). Pure: the writers and the adapter share it.

import type { CatalogItem } from "../../batching/types";
import { mappedValue } from "../fieldMapping";
import type { GoogleFeedOptions } from "./options";

export type GoogleAvailability = "in_stock" | "out_of_stock" | "preorder" | "backorder";

/** What Lockstep knows of an item's stock: pooled over locations, safety stock applied (app/availability). */
export interface StockView {
  available: number;
  virtualStock?: { kind: "preorder" | "backorder"; promiseDate: string | null };
}

/**
 * A scheduled sale of an item (app/prices' sale versions, running or upcoming): the amount, the
 * regular price it replaces and its ISO 8601 window, sent as `sale_price` + `sale_price_effective_date`.
 */
export interface ScheduledSale {
  amount: string;
  /** The regular price during the sale; absent: the item's current price. */
  regular?: string;
  from: string;
  to: string | null;
}

export interface ScheduledSaleSource {
  salesFor(shopId: string, skus: string[], now: Date): Promise<Map<string, ScheduledSale>>;
}

export interface GoogleFeedItem {
  id: string;
  title: string;
  description: string;
  link: string;
  image_link: string;
  availability: GoogleAvailability;
  availability_date: string;
  price: string;
  sale_price: string;
  sale_price_effective_date: string;
  brand: string;
  gtin: string;
  mpn: string;
  identifier_exists: "" | "no";
  condition: string;
  google_product_category: string;
  item_group_id: string;
}

/** TSV header row and XML element order (`g:` namespace for all but title, description, link). */
export const FEED_COLUMNS: ReadonlyArray<keyof GoogleFeedItem> = [
  "id",
  "title",
  "description",
  "link",
  "image_link",
  "availability",
  "availability_date",
  "price",
  "sale_price",
  "sale_price_effective_date",
  "brand",
  "gtin",
  "mpn",
  "identifier_exists",
  "condition",
  "google_product_category",
  "item_group_id",
];

export const MAX_ID_LENGTH = 50;
export const MAX_TITLE_LENGTH = 150;
export const MAX_DESCRIPTION_LENGTH = 5000;
const CONDITIONS = new Set(["new", "used", "refurbished"]);

/** Characters XML 1.0 cannot carry (and tabs/newlines TSV cannot) would break the file: never written. */
export function clean(text: string | undefined): string {
  if (!text) return "";
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "").trim();
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** GTIN-8/12/13/14 with a correct check digit (GS1 mod 10). */
export function isValidGtin(gtin: string): boolean {
  if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(gtin)) return false;
  const digits = [...gtin].map(Number);
  const check = digits.pop()!;
  const sum = digits.reverse().reduce((total, digit, index) => total + digit * (index % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

function amount(value: string | undefined): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function money(value: number, currency: string): string {
  return `${value.toFixed(2)} ${currency}`;
}

/** The product's title plus the variant's, unless the variant is the only, default one. */
export function titleOf(item: CatalogItem): string {
  const variant = clean(item.title);
  const product = clean(item.productTitle);
  if (!variant || /^default( title)?$/i.test(variant) || variant === item.sku || variant === product) return product;
  return product ? `${product} - ${variant}` : variant;
}

/**
 * Reasons a catalog item cannot be a Google item (empty: it can). Availability is checked when the
 * item is built (it comes from Lockstep's stock at build time), the rest here.
 */
export function catalogReasons(item: CatalogItem, options: GoogleFeedOptions): string[] {
  const reasons: string[] = [];
  if (!item.sku || item.sku.startsWith("#")) reasons.push("id: the variant has no SKU");
  else if (item.sku.length > MAX_ID_LENGTH) reasons.push(`id: SKU longer than ${MAX_ID_LENGTH} characters`);
  const title = titleOf(item);
  if (!title) reasons.push("title: missing");
  else if (title.length > MAX_TITLE_LENGTH) reasons.push(`title: longer than ${MAX_TITLE_LENGTH} characters`);
  const description = clean(item.description);
  if (!description) reasons.push("description: missing");
  else if (description.length > MAX_DESCRIPTION_LENGTH) reasons.push(`description: longer than ${MAX_DESCRIPTION_LENGTH} characters`);
  if (!clean(item.link)) reasons.push("link: the product has no storefront URL");
  else if (!isHttpUrl(linkOf(item, options))) reasons.push("link: not an http(s) URL");
  const image = clean(item.imageUrl);
  if (!image) reasons.push("image_link: the product has no image");
  else if (!isHttpUrl(image)) reasons.push("image_link: not an http(s) URL");
  const price = amount(item.price);
  if (price === undefined || price <= 0) reasons.push("price: missing or not above zero");
  if (!/^[A-Z]{3}$/.test(options.currency)) reasons.push("price: the currency is not an ISO 4217 code");
  if (item.condition && !CONDITIONS.has(item.condition)) reasons.push("condition: not new, used or refurbished");
  const { gtin, mpn, brand, category } = identifiersOf(item, options);
  if (category.length > 750) reasons.push("google_product_category: longer than 750 characters");
  if (gtin && !isValidGtin(gtin)) reasons.push("gtin: not a valid GTIN-8/12/13/14 (length or check digit)");
  if (mpn.length > 70) reasons.push("mpn: longer than 70 characters");
  if ((gtin || mpn) && !brand) reasons.push("brand: required with a gtin or mpn");
  return reasons;
}

/**
 * A sale's amounts as the feed states them: the regular price is the one the sale version
 * replaces, else (an upcoming sale) today's price. Undefined: no discount to state.
 */
function scheduledSale(sale: ScheduledSale, current: number, now: Date): { amount: number; regular: number; started: boolean } | undefined {
  const saleAmount = amount(sale.amount);
  const started = Date.parse(sale.from) <= now.getTime();
  const regular = amount(sale.regular) ?? (started ? undefined : current);
  if (saleAmount === undefined || regular === undefined || saleAmount >= regular) return undefined;
  return { amount: saleAmount, regular, started };
}

/** brand, gtin, mpn and google_product_category through the feed's field mapping. */
function identifiersOf(item: CatalogItem, options: GoogleFeedOptions) {
  const mapping = options.fieldMapping;
  return {
    gtin: clean(mappedValue(item, mapping.gtin)),
    mpn: clean(mappedValue(item, mapping.mpn)),
    brand: clean(mappedValue(item, mapping.brand)) || options.defaultBrand || "",
    category: clean(mappedValue(item, mapping.google_product_category)),
  };
}

/** The absolute product URL: a storefront path joins the feed's store URL. */
export function linkOf(item: CatalogItem, options: GoogleFeedOptions): string {
  const link = clean(item.link);
  if (/^https?:\/\//i.test(link)) return link;
  return `${options.storeUrl.replace(/\/+$/, "")}/${link.replace(/^\/+/, "")}`;
}

/**
 * Builds the feed item of a valid catalog item with its stock and any scheduled sale, or the
 * reason it cannot be published (preorder/backorder without a date).
 */
export function buildFeedItem(
  item: CatalogItem,
  stock: StockView | undefined,
  sale: ScheduledSale | undefined,
  options: GoogleFeedOptions,
  now: Date = new Date(),
): GoogleFeedItem | { reason: string } {
  let availability: GoogleAvailability = stock && stock.available > 0 ? "in_stock" : "out_of_stock";
  let availabilityDate = "";
  if (stock?.virtualStock && stock.available > 0) {
    if (!stock.virtualStock.promiseDate) return { reason: `availability_date: ${stock.virtualStock.kind} without a promise date` };
    availability = stock.virtualStock.kind;
    availabilityDate = new Date(stock.virtualStock.promiseDate).toISOString();
  }
  const current = amount(item.price)!;
  const regular = amount(item.compareAtPrice);
  let price = money(current, options.currency);
  let salePrice = "";
  let saleDates = "";
  const scheduled = sale ? scheduledSale(sale, current, now) : undefined;
  if (scheduled && (scheduled.started || regular === undefined || regular <= current)) {
    // A dated sale: Google switches to sale_price at its start (published ahead) and back at its end.
    price = money(scheduled.regular, options.currency);
    salePrice = money(scheduled.amount, options.currency);
    saleDates = sale!.to ? `${sale!.from}/${sale!.to}` : sale!.from;
  } else if (regular !== undefined && regular > current) {
    // The platform's compare-at is the regular price: the current price is a sale running now.
    price = money(regular, options.currency);
    salePrice = money(current, options.currency);
  }
  const { gtin, mpn, brand, category } = identifiersOf(item, options);
  return {
    id: item.sku,
    title: titleOf(item),
    description: clean(item.description),
    link: linkOf(item, options),
    image_link: clean(item.imageUrl),
    availability,
    availability_date: availabilityDate,
    price,
    sale_price: salePrice,
    sale_price_effective_date: saleDates,
    brand,
    gtin,
    mpn,
    // Neither GTIN nor MPN: say so, or Google disapproves the item for missing identifiers.
    identifier_exists: gtin || mpn ? "" : "no",
    condition: item.condition || "new",
    google_product_category: category,
    item_group_id: clean(item.productExternalId),
  };
}
