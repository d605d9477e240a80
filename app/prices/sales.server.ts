import { LockstepError } from "../config/errors";
import type { Sql, SqlRunner } from "../db/database.server";
import { inChunks } from "./chunks";
import { cancelSaleRow } from "./sql/cancelSaleRow";
import { discountedAmounts } from "./sql/discountedAmounts";
import { insertSale } from "./sql/insertSale";
import { listSales, type SaleSummary } from "./sql/listSales";
import { lockPriceItems } from "./sql/lockPriceItems";
import { priceAt } from "./sql/priceAt";
import { priceHistory, type HistoryRow } from "./sql/priceHistory";
import { reopenVersions } from "./sql/reopenVersions";
import { saleForChange } from "./sql/saleForChange";
import { supersedeSaleVersions } from "./sql/supersedeSaleVersions";
import { updateSaleRow } from "./sql/updateSaleRow";
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

/** What an edit before the start may change (the list stays): absent fields keep their value; `skus` replaces the items. */
export type SaleChanges = Partial<Pick<NewSale, "name" | "skus" | "kind" | "value" | "startsAt" | "endsAt">>;

export const MAX_SALE_ITEMS = 100_000;

/**
 * Schedules a sale: for each item, the price that holds at `startsAt` is closed there, the sale
 * price runs [startsAt, endsAt) (compare-at: the price it replaces), and the sale's end restores
 * that price from `endsAt` (re-planned if the store's price is edited before the end: README).
 * All items or none: an unknown SKU, an item without a price at the start, or an overlap refuses it.
 * Written in set-based chunks of ~1,000 rows in one transaction (100,000 items fit).
 */
export async function createSale(sql: Sql, shopId: string, sale: NewSale): Promise<{ saleId: string; versions: number }> {
  const list = sale.list ?? DEFAULT_LIST;
  const skus = checkSale(sale);
  return translateDatabaseRefusal(() =>
    sql.transaction(async (tx) => {
      const variants = await knownVariants(tx, shopId, skus);
      await lockPriceItems(tx, shopId, [...variants.values()].map((variantId) => ({ variantId, list })));
      const saleId = await insertSale(tx, shopId, { ...sale, list, itemCount: skus.length });
      const versions = await planSale(tx, shopId, saleId, { ...sale, list, skus }, variants);
      return { saleId, versions };
    }),
  );
}

/**
 * Edits a sale before it starts (name, items, price or percentage, start, end): its versions are
 * superseded (kept in the history), the prices it would have closed are reopened, and it is planned
 * again from the prices that hold at its (new) start, under the same sale id. One transaction; the
 * same refusals as createSale, plus `unknown_sale` (404), `sale_cancelled` and `sale_started` (409).
 */
export async function updateSale(sql: Sql, shopId: string, saleId: string, changes: SaleChanges, updatedBy: string): Promise<{ saleId: string; versions: number }> {
  return translateDatabaseRefusal(() =>
    sql.transaction(async (tx) => {
      const current = await changeableSale(tx, shopId, saleId, "edit");
      const next = { name: current.name, skus: current.skus, kind: current.kind, value: current.value, startsAt: current.startsAt, endsAt: current.endsAt, ...changes, list: current.list, createdBy: updatedBy };
      const skus = checkSale(next);
      if (!(next.startsAt.getTime() > Date.now())) throw new LockstepError("invalid_window", "An edited sale must still start in the future");
      const variants = await knownVariants(tx, shopId, [...new Set([...skus, ...current.skus])]);
      await lockPriceItems(tx, shopId, [...variants.values()].map((variantId) => ({ variantId, list: current.list })));
      await withdrawSale(tx, shopId, saleId, current.startsAt);
      await updateSaleRow(tx, shopId, saleId, { name: next.name, startsAt: next.startsAt, endsAt: next.endsAt, kind: next.kind, value: next.value, itemCount: skus.length });
      const versions = await planSale(tx, shopId, saleId, { ...next, skus }, variants);
      return { saleId, versions };
    }),
  );
}

/**
 * Cancels a sale before it starts: its versions are superseded (kept, never current, their
 * activations recorded skipped), the prices it would have closed at its start run on as if it had
 * never been planned, and the sale is listed `cancelled`. A sale that started is refused with
 * `sale_started` (409): end it by editing prices instead.
 */
export async function cancelSale(sql: Sql, shopId: string, saleId: string, cancelledBy: string): Promise<{ saleId: string; versions: number }> {
  return sql.transaction(async (tx) => {
    const current = await changeableSale(tx, shopId, saleId, "cancel");
    const variants = await knownVariants(tx, shopId, current.skus);
    await lockPriceItems(tx, shopId, [...variants.values()].map((variantId) => ({ variantId, list: current.list })));
    const versions = await withdrawSale(tx, shopId, saleId, current.startsAt);
    await cancelSaleRow(tx, shopId, saleId, cancelledBy);
    return { saleId, versions };
  });
}

/** Upcoming, active, ended and cancelled sales of a shop as of `at`. */
export function salesOf(sql: Sql, shopId: string, at: Date, limit = 200): Promise<SaleSummary[]> {
  return listSales(sql, shopId, at, limit);
}

/** An item's price history (every version, superseded ones too). */
export function historyOf(sql: Sql, shopId: string, sku: string, list: string | null = null): Promise<HistoryRow[]> {
  return priceHistory(sql, shopId, sku, list);
}

function checkSale(sale: Pick<NewSale, "name" | "skus" | "kind" | "value" | "startsAt" | "endsAt">): string[] {
  const skus = [...new Set(sale.skus)];
  if (!sale.name.trim()) throw new LockstepError("invalid_name", "A sale needs a name");
  if (skus.length === 0 || skus.length > MAX_SALE_ITEMS) throw new LockstepError("invalid_items", `A sale holds 1 to ${MAX_SALE_ITEMS} SKUs`);
  if (!AMOUNT_PATTERN.test(sale.value)) throw new LockstepError("invalid_amount", `value must be a decimal string that is not negative, got ${JSON.stringify(sale.value)}`);
  if (sale.kind === "percent" && !(Number(sale.value) > 0 && Number(sale.value) < 100)) throw new LockstepError("invalid_percent", "A percentage off is more than 0 and less than 100");
  if (Number.isNaN(sale.startsAt.getTime()) || Number.isNaN(sale.endsAt.getTime()) || !(sale.endsAt > sale.startsAt)) {
    throw new LockstepError("invalid_window", "A sale ends after it starts");
  }
  return skus;
}

async function knownVariants(tx: SqlRunner, shopId: string, skus: string[]): Promise<Map<string, string>> {
  const variants = await variantsBySku(tx, shopId, skus);
  const unknown = skus.filter((sku) => !variants.has(sku));
  if (unknown.length > 0) throw new LockstepError("unknown_skus", `No such SKU in this shop: ${unknown.slice(0, 20).join(", ")}`, { skus: unknown });
  return variants;
}

async function changeableSale(tx: SqlRunner, shopId: string, saleId: string, action: "edit" | "cancel") {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(saleId)) throw new LockstepError("unknown_sale", `No sale ${saleId} in this shop`);
  const sale = await saleForChange(tx, shopId, saleId);
  if (!sale) throw new LockstepError("unknown_sale", `No sale ${saleId} in this shop`);
  if (sale.cancelledAt) throw new LockstepError("sale_cancelled", `The sale "${sale.name}" was cancelled: there is nothing to ${action}`);
  if (!sale.upcoming) throw new LockstepError("sale_started", `The sale "${sale.name}" started at ${new Date(sale.startsAt).toISOString()}: only a sale that has not started can be ${action === "edit" ? "edited" : "cancelled"}`);
  return { ...sale, startsAt: new Date(sale.startsAt), endsAt: new Date(sale.endsAt) };
}

/** Supersedes a sale's versions and reopens what it would have closed at its start (with the price its end would have restored). */
async function withdrawSale(tx: SqlRunner, shopId: string, saleId: string, startsAt: Date): Promise<number> {
  const withdrawn = await supersedeSaleVersions(tx, shopId, saleId);
  const ends = withdrawn.filter((version) => version.source === "sale_end");
  await reopenVersions(tx, shopId, ends.map((end) => ({ variantId: end.variantId, list: end.list, closedAt: startsAt, until: end.validTo ? new Date(end.validTo) : null })));
  return withdrawn.length;
}

/** Writes a sale's versions: the sale price [start, end) over the price that holds at the start, and the restore from the end. */
async function planSale(tx: SqlRunner, shopId: string, saleId: string, sale: Omit<NewSale, "list"> & { list: string }, variants: Map<string, string>): Promise<number> {
  const { list } = sale;
  const skus = [...new Set(sale.skus)];
  const bases = await inChunks(skus, (chunk) => priceAt(tx, shopId, list, chunk, sale.startsAt));
  const unpriced = bases.filter((base) => base.amount === null).map((base) => base.sku);
  if (unpriced.length > 0) throw new LockstepError("no_price_at_start", `These SKUs have no price on ${list} when the sale starts: ${unpriced.slice(0, 20).join(", ")}`, { skus: unpriced });
  const saleAmounts = sale.kind === "amount" ? bases.map(() => sale.value) : await inChunks(bases, (chunk) => discountedAmounts(tx, chunk.map((base) => base.amount!), sale.value));
  const by = { createdBy: sale.createdBy, saleId };
  const rows = bases.flatMap((base, i) => [
    { ...by, variantId: variants.get(base.sku)!, list, amount: saleAmounts[i]!, currency: base.currency!, compareAt: base.amount, validFrom: sale.startsAt, validTo: sale.endsAt, source: "sale", activate: true },
    { ...by, variantId: variants.get(base.sku)!, list, amount: base.amount!, currency: base.currency!, compareAt: base.compareAt, validFrom: sale.endsAt, validTo: null, source: "sale_end", activate: true },
  ]);
  const written = await writeVersions(tx, shopId, rows);
  return written.length;
}
