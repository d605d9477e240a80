import { CATALOG_BACKFILL_BULK_QUERY, LOCATIONS_BACKFILL_BULK_QUERY } from "./backfill";
import { bulkOperationRunQuery, bulkOperationStatus } from "./bulk";
import { locationsPage, productVariantsBulkUpdate, productVariantsPage } from "./catalog";
import { inventoryAdjustQuantities, inventoryLevelQuantities, inventorySetQuantities } from "./inventory";

/** Every operation Lockstep sends; the schema test validates each one against the targeted version. */
export const ALL_OPERATIONS = [
  inventorySetQuantities,
  inventoryAdjustQuantities,
  inventoryLevelQuantities,
  productVariantsPage,
  locationsPage,
  productVariantsBulkUpdate,
  bulkOperationRunQuery,
  bulkOperationStatus,
] as const;

/** Documents sent as data inside another operation (bulk queries): validated the same way. */
export const EMBEDDED_DOCUMENTS = { LOCATIONS_BACKFILL_BULK_QUERY, CATALOG_BACKFILL_BULK_QUERY } as const;
