import { LockstepError } from "../config/errors";
import type { Sql, SqlRunner } from "../db/database.server";
import { discountedAmounts } from "./sql/discountedAmounts";
import { insertSale } from "./sql/insertSale";
import { type LockedSale, lockSale } from "./sql/lockSale";
import { markSaleCancelled } from "./sql/markSaleCancelled";
import { rejoinPricesAround } from "./sql/rejoinPricesAround";
import { saleVersions } from "./sql/saleVersions";
import { supersedeVersions } from "./sql/supersedeVersions";
import { updateSale } from "./sql/updateSale";
import { listSales, type SaleSummary } from "./sql/listSales";
import { lockPriceItems } from "./sql/lockPriceItems";
import { priceAt } from "./sql/priceAt";
import { priceHistory, type HistoryRow } from "./sql/priceHistory";
import { variantsBySku } from "./sql/variantsBySku";
import { AMOUNT_PATTERN, DEFAULT_LIST, translateDatabaseRefusal, writeVersions } from "./versions.server";

export interface NewSale {
  name: string;
  list?: string;
  skus: string[];
  /** `amount`: every item at `value`; `percent`: `value` % off each item's price at the start. */
  kind: "amount" | "percent";
  value: string;
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
}

export const MAX_SALE_ITEMS = 100_000;

/**
 * Schedules a sale: for each item, the price that holds at `startsAt` is closed there, the sale
 * price runs [startsAt, endsAt) (compare-at: the price it replaces), and the sale's end restores
 * that price from `endsAt` (re-planned if the store's price is edited before the end: README).
 * All items or none: an unknown SKU, an item without a price at the start, or an overlap refuses it.
 */
export async function createSale(sql: Sql, shopId: string, sale: NewSale): Promise<{ saleId: string; versions: number }> {
  checkSale(sale);
  return translateDatabaseRefusal(() => sql.transaction((tx) => planSale(tx, shopId, sale)));
}

function checkSale(sale: Omit<NewSale, "createdBy">): void {
  const skus = new Set(sale.skus);
  if (!sale.name.trim()) throw new LockstepError("invalid_name", "A sale needs a name");
  if (skus.size === 0 || skus.size > MAX_SALE_ITEMS) throw new LockstepError("invalid_items", `A sale holds 1 to ${MAX_SALE_ITEMS} SKUs`);
  if (!AMOUNT_PATTERN.test(sale.value)) throw new LockstepError("invalid_amount", `value must be a decimal string that is not negative, got ${JSON.stringify(sale.value)}`);
  if (sale.kind === "percent" && !(Number(sale.value) > 0 && Number(sale.value) < 100)) throw new LockstepError("invalid_percent", "A percentage off is more than 0 and less than 100");
  if (Number.isNaN(sale.startsAt.getTime()) || Number.isNaN(sale.endsAt.getTime()) || !(sale.endsAt > sale.startsAt)) {
    throw new LockstepError("invalid_window", "A sale ends after it starts");
  }
}

/** The versions of a checked sale, in the caller's transaction; `saleId` rewrites that sale's terms instead of adding one. */
async function planSale(tx: SqlRunner, shopId: string, sale: NewSale, saleId?: string): Promise<{ saleId: string; versions: number }> {
  const list = sale.list ?? DEFAULT_LIST;
  const skus = [...new Set(sale.skus)];
  const variants = await variantsBySku(tx, shopId, skus);
  const unknown = skus.filter((sku) => !variants.has(sku));
  if (unknown.length > 0) throw new LockstepError("unknown_skus", `No such SKU in this shop: ${unknown.slice(0, 20).join(", ")}`, { skus: unknown });
  await lockPriceItems(tx, shopId, [...variants.values()].map((variantId) => ({ variantId, list })));
  const bases = await priceAt(tx, shopId, list, skus, sale.startsAt);
  const unpriced = bases.filter((base) => base.amount === null).map((base) => base.sku);
  if (unpriced.length > 0) throw new LockstepError("no_price_at_start", `These SKUs have no price on ${list} when the sale starts: ${unpriced.slice(0, 20).join(", ")}`, { skus: unpriced });
  const saleAmounts = sale.kind === "amount" ? bases.map(() => sale.value) : await discountedAmounts(tx, bases.map((base) => base.amount!), sale.value);
  const terms = { ...sale, list, itemCount: skus.length };
  if (saleId) await updateSale(tx, shopId, saleId, terms);
  const id = saleId ?? (await insertSale(tx, shopId, terms));
  const by = { createdBy: sale.createdBy, saleId: id };
  const rows = bases.flatMap((base, i) => [
    { ...by, variantId: variants.get(base.sku)!, list, amount: saleAmounts[i]!, currency: base.currency!, compareAt: base.amount, validFrom: sale.startsAt, validTo: sale.endsAt, source: "sale", activate: true },
    { ...by, variantId: variants.get(base.sku)!, list, amount: base.amount!, currency: base.currency!, compareAt: base.compareAt, validFrom: sale.endsAt, validTo: null, source: "sale_end", activate: true },
  ]);
  const written = await writeVersions(tx, shopId, rows);
  return { saleId: id, versions: written.length };
}

/**
 * Takes a sale that has not started out of the plan, in the caller's transaction: its versions are
 * superseded (kept in the history, their activations skipped) and each item's price before the
 * sale runs on to where the sale's restore ran. Returns the sale's terms and SKUs as they were.
 */
async function withdrawSale(tx: SqlRunner, shopId: string, saleId: string, now: Date): Promise<{ sale: LockedSale; skus: string[] }> {
  const sale = await lockSale(tx, shopId, saleId);
  if (!sale) throw new LockstepError("sale_not_found", "No sale with this id in this shop");
  if (sale.cancelledAt) throw new LockstepError("sale_cancelled", "This sale was cancelled");
  if (new Date(sale.startsAt) <= now) throw new LockstepError("sale_started", "This sale has started: it can no longer be edited or cancelled (plan a price from now instead)");
  const versions = await saleVersions(tx, shopId, saleId);
  await lockPriceItems(tx, shopId, versions);
  await supersedeVersions(tx, versions.map((version) => version.id), null);
  await rejoinPricesAround(tx, shopId, new Date(sale.startsAt), versions.filter((version) => version.source === "sale_end"));
  return { sale, skus: [...new Set(versions.map((version) => version.sku))] };
}

/** Cancels a sale before it starts: nothing of it reaches the store; the history keeps it, superseded. */
export async function cancelSale(sql: Sql, shopId: string, saleId: string, by: string, now: Date = new Date()): Promise<{ name: string; skus: string[] }> {
  return translateDatabaseRefusal(() =>
    sql.transaction(async (tx) => {
      const { sale, skus } = await withdrawSale(tx, shopId, saleId, now);
      await markSaleCancelled(tx, saleId, by, now);
      return { name: sale.name, skus };
    }),
  );
}

export type SaleChanges = Partial<Omit<NewSale, "createdBy" | "list">> & { createdBy: string };

/**
 * Edits a sale before it starts (any of name, items, kind, value, start, end): the old plan is
 * withdrawn and the new one written under the same sale id, in one transaction (all or nothing).
 */
export async function editSale(sql: Sql, shopId: string, saleId: string, changes: SaleChanges, now: Date = new Date()): Promise<{ saleId: string; versions: number; before: NewSale }> {
  return translateDatabaseRefusal(() =>
    sql.transaction(async (tx) => {
      const { sale, skus } = await withdrawSale(tx, shopId, saleId, now);
      const before: NewSale = { name: sale.name, list: sale.list, skus, kind: sale.kind, value: sale.value, startsAt: new Date(sale.startsAt), endsAt: new Date(sale.endsAt), createdBy: changes.createdBy };
      const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      const after: NewSale = { ...before, ...defined };
      checkSale(after);
      if (after.startsAt <= now) throw new LockstepError("invalid_window", "An edited sale starts in the future");
      const planned = await planSale(tx, shopId, after, saleId);
      return { ...planned, before };
    }),
  );
}

/** Upcoming, active and ended sales of a shop as of `at`. */
export function salesOf(sql: Sql, shopId: string, at: Date, limit = 200): Promise<SaleSummary[]> {
  return listSales(sql, shopId, at, limit);
}

/** An item's price history (every version, superseded ones too). */
export function historyOf(sql: Sql, shopId: string, sku: string, list: string | null = null): Promise<HistoryRow[]> {
  return priceHistory(sql, shopId, sku, list);
}

/** The SKUs a sale holds now (its edit form starts from them). */
export async function saleSkus(sql: Sql, shopId: string, saleId: string): Promise<string[]> {
  const versions = await saleVersions(sql, shopId, saleId);
  return [...new Set(versions.filter((version) => version.source === "sale").map((version) => version.sku))];
}
