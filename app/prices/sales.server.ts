import { LockstepError } from "../config/errors";
import type { Sql } from "../db/database.server";
import { discountedAmounts } from "./sql/discountedAmounts";
import { insertSale } from "./sql/insertSale";
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
  const list = sale.list ?? DEFAULT_LIST;
  const skus = [...new Set(sale.skus)];
  if (!sale.name.trim()) throw new LockstepError("invalid_name", "A sale needs a name");
  if (skus.length === 0 || skus.length > MAX_SALE_ITEMS) throw new LockstepError("invalid_items", `A sale holds 1 to ${MAX_SALE_ITEMS} SKUs`);
  if (!AMOUNT_PATTERN.test(sale.value)) throw new LockstepError("invalid_amount", `value must be a decimal string that is not negative, got ${JSON.stringify(sale.value)}`);
  if (sale.kind === "percent" && !(Number(sale.value) > 0 && Number(sale.value) < 100)) throw new LockstepError("invalid_percent", "A percentage off is more than 0 and less than 100");
  if (Number.isNaN(sale.startsAt.getTime()) || Number.isNaN(sale.endsAt.getTime()) || !(sale.endsAt > sale.startsAt)) {
    throw new LockstepError("invalid_window", "A sale ends after it starts");
  }
  return translateDatabaseRefusal(() =>
    sql.transaction(async (tx) => {
      const variants = await variantsBySku(tx, shopId, skus);
      const unknown = skus.filter((sku) => !variants.has(sku));
      if (unknown.length > 0) throw new LockstepError("unknown_skus", `No such SKU in this shop: ${unknown.slice(0, 20).join(", ")}`, { skus: unknown });
      await lockPriceItems(tx, shopId, [...variants.values()].map((variantId) => ({ variantId, list })));
      const bases = await priceAt(tx, shopId, list, skus, sale.startsAt);
      const unpriced = bases.filter((base) => base.amount === null).map((base) => base.sku);
      if (unpriced.length > 0) throw new LockstepError("no_price_at_start", `These SKUs have no price on ${list} when the sale starts: ${unpriced.slice(0, 20).join(", ")}`, { skus: unpriced });
      const saleAmounts = sale.kind === "amount" ? bases.map(() => sale.value) : await discountedAmounts(tx, bases.map((base) => base.amount!), sale.value);
      const saleId = await insertSale(tx, shopId, { ...sale, list, itemCount: skus.length });
      const by = { createdBy: sale.createdBy, saleId };
      const rows = bases.flatMap((base, i) => [
        { ...by, variantId: variants.get(base.sku)!, list, amount: saleAmounts[i]!, currency: base.currency!, compareAt: base.amount, validFrom: sale.startsAt, validTo: sale.endsAt, source: "sale", activate: true },
        { ...by, variantId: variants.get(base.sku)!, list, amount: base.amount!, currency: base.currency!, compareAt: base.compareAt, validFrom: sale.endsAt, validTo: null, source: "sale_end", activate: true },
      ]);
      const written = await writeVersions(tx, shopId, rows);
      return { saleId, versions: written.length };
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
