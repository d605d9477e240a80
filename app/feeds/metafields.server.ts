// The product metafields a feed's field mapping names, added to a page of items before validation
// (the adapters' `prepare`): the pipeline's item rows carry the catalog's columns, not metafields.

import type { PushedItem } from "../batching/types";
import { readProductMetafields } from "../catalog/sql/readProductMetafields";
import type { SqlRunner } from "../db/database.server";

export type MetafieldReader = (shopId: string, items: PushedItem[], names: string[]) => Promise<PushedItem[]>;

/** Items with `metafields` set to the named ones their product holds (an item whose product holds none is left as it is). */
export function productMetafields(sql: SqlRunner): MetafieldReader {
  return async (shopId, items, names) => {
    if (names.length === 0 || items.length === 0) return items;
    const stored = await readProductMetafields(sql, shopId, items.map((item) => item.sku));
    return items.map((item) => {
      const all = stored.get(item.sku);
      if (!all) return item;
      const named = Object.fromEntries(names.flatMap((name) => (typeof all[name] === "string" ? [[name, all[name]]] : [])));
      return { ...item, metafields: named };
    });
  };
}
