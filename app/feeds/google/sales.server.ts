import type { SqlRunner } from "../../db/database.server";
import { readUpcomingSales } from "../../prices/sql/readUpcomingSales";
import type { ScheduledSale, ScheduledSaleSource } from "./item";

/** The store's own list (app/prices): the price Google's `price` / `sale_price` describe. */
const STORE_LIST = "default";

/**
 * Scheduled sales from app/prices' versions of the store's list: the one running now or the next,
 * so a run before the start publishes it with its effective dates and Google switches on time.
 */
export function priceVersionSales(sql: SqlRunner): ScheduledSaleSource {
  return {
    async salesFor(shopId, skus, now) {
      if (skus.length === 0) return new Map();
      const rows = await readUpcomingSales(sql, shopId, STORE_LIST, skus, now);
      return new Map(
        rows.map((row): [string, ScheduledSale] => [
          row.sku,
          { amount: row.amount, regular: row.regular ?? undefined, from: new Date(row.validFrom).toISOString(), to: row.validTo === null ? null : new Date(row.validTo).toISOString() },
        ]),
      );
    },
  };
}
