import type { SqlRunner } from "../../../db/database.server";

/** What Lockstep holds for one SKU at one location, with the source times that decide forward-only. */
export interface HeldStock {
  sku: string;
  location: string;
  variantExternalId: string | null;
  productExternalId: string | null;
  inventoryItemExternalId: string | null;
  price: string | null;
  priceVersion: Date | null;
  onHand: number | null;
  stockVersion: Date | null;
  locationKnown: boolean;
}

/**
 * Reads, for a page of (SKU, location) pairs of a shop, the variant's price and the level's on hand
 * with their source times; a pair whose SKU or location Lockstep does not know comes back with nulls.
 */
export async function readHeldStock(tx: SqlRunner, shopId: string, pairs: Array<{ sku: string; location: string }>): Promise<HeldStock[]> {
  return tx.query<HeldStock>(
    `SELECT i.sku, i.location,
            v.external_id AS "variantExternalId", p.external_id AS "productExternalId",
            v.inventory_item_external_id AS "inventoryItemExternalId",
            v.price::text AS price, v.source_updated_at AS "priceVersion",
            il.on_hand AS "onHand", il.source_updated_at AS "stockVersion",
            (l.id IS NOT NULL) AS "locationKnown"
     FROM json_to_recordset($2::json) AS i(sku text, location text)
     LEFT JOIN variant v ON v.shop_id = $1 AND v.sku = i.sku
     LEFT JOIN product p ON p.id = v.product_id
     LEFT JOIN location l ON l.shop_id = $1 AND l.external_id = i.location
     LEFT JOIN inventory_level il ON il.variant_id = v.id AND il.location_id = l.id`,
    [shopId, JSON.stringify(pairs)],
  );
}
