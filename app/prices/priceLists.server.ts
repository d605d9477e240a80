import { LockstepError } from "../config/errors";
import type { Sql } from "../db/database.server";
import { upsertPriceListTarget } from "./sql/upsertPriceListTarget";
import { DEFAULT_LIST } from "./versions.server";

/**
 * Maps a named list of a BigCommerce shop to one of the store's price lists: from then on, each
 * version of that list is pushed as a record of that price list when it starts (the store's own
 * list keeps going to the variant price). Refused for the default list (`invalid_list`) and a
 * price list id that is not a positive whole number (`invalid_price_list`).
 */
export async function mapPriceList(sql: Sql, shopId: string, list: string, bigCommercePriceListId: number): Promise<void> {
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(list) || list === DEFAULT_LIST) throw new LockstepError("invalid_list", `A named list (not "${DEFAULT_LIST}") of letters, digits and _.:- is mapped, got ${JSON.stringify(list)}`);
  if (!Number.isInteger(bigCommercePriceListId) || bigCommercePriceListId <= 0) throw new LockstepError("invalid_price_list", "The BigCommerce price list id is a positive whole number");
  await upsertPriceListTarget(sql, shopId, list, bigCommercePriceListId);
}
