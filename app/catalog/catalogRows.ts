import type { ProductFeedAttributes } from "../catalog/feedAttributes";

/**
 * What a platform's catalog reader hands the backfill, one row at a time and in an order where a
 * parent always comes before its children (locations and products before variants, a variant
 * before its levels). Ids are the platform's, spelt as the webhook consumers spell them
 * (Shopify GIDs, BigCommerce numbers as text), so both feeds land on the same rows.
 */
export type CatalogRow =
  | { kind: "location"; externalId: string; name: string; active: boolean }
  | ({ kind: "product"; externalId: string; title: string; status: string } & ProductFeedAttributes)
  | {
      kind: "variant";
      externalId: string;
      productExternalId: string;
      inventoryItemExternalId: string;
      sku: string | null;
      title: string;
      price: string;
      /** The regular price when `price` is a sale; absent: no sale. */
      compareAtPrice?: string;
      gtin?: string;
      mpn?: string;
    }
  | {
      kind: "level";
      inventoryItemExternalId: string;
      locationExternalId: string;
      /** Units for sale plus units promised to orders (Lockstep's on hand; see the readers). */
      onHand: number;
      committed: number;
      incoming: number;
    };

export type CatalogRowKind = CatalogRow["kind"];
export type RowOf<K extends CatalogRowKind> = Extract<CatalogRow, { kind: K }>;

/** A batch written in one transaction: all of it lands, or none of it. */
export interface CatalogBatch {
  locations: RowOf<"location">[];
  products: RowOf<"product">[];
  variants: RowOf<"variant">[];
  levels: RowOf<"level">[];
}

export function emptyBatch(): CatalogBatch {
  return { locations: [], products: [], variants: [], levels: [] };
}

export function batchSize(batch: CatalogBatch): number {
  return batch.locations.length + batch.products.length + batch.variants.length + batch.levels.length;
}

export function addRow(batch: CatalogBatch, row: CatalogRow): void {
  switch (row.kind) {
    case "location":
      batch.locations.push(row);
      return;
    case "product":
      batch.products.push(row);
      return;
    case "variant":
      batch.variants.push(row);
      return;
    case "level":
      batch.levels.push(row);
      return;
  }
}
