import { LockstepError } from "../config/errors";
import type { Sql, SqlRunner } from "../db/database.server";
import { closeOpenVersions } from "./sql/closeOpenVersions";
import { insertVersions, type VersionRow } from "./sql/insertVersions";
import { lockPriceItems } from "./sql/lockPriceItems";

/** The store's own price list; any other name is a named list (B2B, a marketplace). */
export const DEFAULT_LIST = "default";

/** Who or what wrote a version: kept on every row. */
export type PriceSource = "staff" | "import" | "sale" | "sale_end" | "store" | "seed";

export interface NewPrice {
  variantId: string;
  list?: string;
  /** Decimal string ("19.99"): never a float. */
  amount: string;
  currency: string;
  compareAt?: string | null;
  validFrom: Date;
  /** Absent: current until the next version of the item and list starts. */
  validTo?: Date | null;
}

/** A decimal amount as the edges accept it: up to 10 digits, up to 4 decimals, not negative. */
export const AMOUNT_PATTERN = /^\d{1,10}(\.\d{1,4})?$/;
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/**
 * Plans prices (SCD2): for each item and list the open version that holds at the new start is
 * closed there, the new version is written (an open one running until the next planned version),
 * and an activation is queued for its start. One transaction: all of them, or none with
 * `price_overlap` (409) naming the clash. See app/prices/README.md for the overlap rule.
 */
export async function schedulePrices(sql: Sql, shopId: string, prices: NewPrice[], by: { source: PriceSource; createdBy: string; saleId?: string }): Promise<string[]> {
  for (const price of prices) checkPrice(price);
  return translateDatabaseRefusal(() =>
    sql.transaction(async (tx) => {
      const rows = await writeVersions(tx, shopId, prices.map((price) => versionRow(price, by)));
      return rows.map((row) => row.id);
    }),
  );
}

/** The write half of `schedulePrices`, inside a caller's transaction (sales and imports add their own rows). */
export async function writeVersions(tx: SqlRunner, shopId: string, rows: VersionRow[]): Promise<Array<{ id: string; variantId: string; list: string }>> {
  await lockPriceItems(tx, shopId, rows);
  const earliest = new Map<string, { variantId: string; list: string; at: Date }>();
  for (const row of rows) {
    const key = `${row.variantId}|${row.list}`;
    const seen = earliest.get(key);
    if (!seen || row.validFrom < seen.at) earliest.set(key, { variantId: row.variantId, list: row.list, at: row.validFrom });
  }
  await closeOpenVersions(tx, shopId, [...earliest.values()]);
  return insertVersions(tx, shopId, rows);
}

export function versionRow(price: NewPrice, by: { source: PriceSource; createdBy: string; saleId?: string }): VersionRow {
  return {
    variantId: price.variantId,
    list: price.list ?? DEFAULT_LIST,
    amount: price.amount,
    currency: price.currency,
    compareAt: price.compareAt ?? null,
    validFrom: price.validFrom,
    validTo: price.validTo ?? null,
    source: by.source,
    createdBy: by.createdBy,
    saleId: by.saleId ?? null,
    activate: by.source !== "store",
  };
}

export function checkPrice(price: NewPrice): void {
  if (!AMOUNT_PATTERN.test(price.amount)) throw new LockstepError("invalid_amount", `amount must be a decimal string that is not negative (e.g. "19.99"), got ${JSON.stringify(price.amount)}`);
  if (price.compareAt != null && !AMOUNT_PATTERN.test(price.compareAt)) throw new LockstepError("invalid_amount", `compareAt must be a decimal string that is not negative, got ${JSON.stringify(price.compareAt)}`);
  if (!CURRENCY_PATTERN.test(price.currency)) throw new LockstepError("invalid_currency", `currency must be an ISO 4217 code such as "USD", got ${JSON.stringify(price.currency)}`);
  if (Number.isNaN(price.validFrom.getTime())) throw new LockstepError("invalid_valid_from", "validFrom must be a date");
  if (price.validTo && !(price.validTo > price.validFrom)) throw new LockstepError("invalid_valid_to", "validTo must be after validFrom");
}

/** The overlap trigger's refusals (and the range and sign checks behind the edges) as Lockstep errors. */
export async function translateDatabaseRefusal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { code, message, detail } = (error ?? {}) as { code?: string; message?: string; detail?: string };
    if (code === "23P01") {
      const conflictingVersion = parseDetail(detail)?.conflictingVersion;
      throw new LockstepError("price_overlap", humanOverlap(message ?? ""), conflictingVersion ? { conflictingVersion } : undefined);
    }
    if (code === "23514" && message?.startsWith("price_")) {
      const refusal = message.slice(0, message.indexOf(":"));
      throw new LockstepError(refusal === "price_negative" ? "price_negative" : "price_empty_range", message.slice(message.indexOf(":") + 2));
    }
    throw error;
  }
}

function humanOverlap(message: string): string {
  return `${message.replace(/^price_overlap: /, "")}: versions of one item and list may not overlap (end the other one first, or pick another window)`;
}

function parseDetail(detail: string | undefined): Record<string, string> | undefined {
  if (!detail) return undefined;
  try {
    return JSON.parse(detail) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** Trailing zeros past the cents go ("19.9000" → "19.90", "0.1250" → "0.125"): decimal strings, no floats. */
export function formatAmount(amount: string): string;
export function formatAmount(amount: string | null): string | null;
export function formatAmount(amount: string | null): string | null {
  if (amount === null) return null;
  const [whole, fraction = ""] = amount.split(".");
  const trimmed = fraction.replace(/0+$/, "").padEnd(2, "0");
  return `${whole}.${trimmed}`;
}
