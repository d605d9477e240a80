import type { CatalogBatch } from "../catalog/catalogRows";
import type { DomainEvent } from "../events/domainEvents";
import type { AppliedChange } from "./sql/captureChanges";

export { captureChanges, type AppliedChange, type ChangeSource } from "./sql/captureChanges";

/** The item changes a batch of applied webhook events may have made (captured only where they applied). */
export function changesOfEvents(events: Array<{ event: DomainEvent; correlationId?: string }>): AppliedChange[] {
  const changes: AppliedChange[] = [];
  for (const { event, correlationId } of events) {
    const at = { shopId: event.shopId, sourceVersion: event.occurredAt, occurredAt: event.occurredAt, ...(correlationId && { correlationId }) };
    switch (event.type) {
      case "InventoryLevelChanged":
        changes.push({ ...at, kind: "stock", inventoryItemExternalId: event.inventoryItemExternalId });
        break;
      case "InventoryItemChanged":
        changes.push({ ...at, kind: "catalog", inventoryItemExternalId: event.inventoryItemExternalId });
        break;
      case "ProductChanged":
        for (const variant of event.variants) changes.push({ ...at, kind: "catalog", variantExternalId: variant.externalId });
        break;
      case "VariantPriceChanged":
        changes.push({ ...at, kind: "price", variantExternalId: event.variantExternalId });
        break;
      default:
        break;
    }
  }
  return changes;
}

/** The item changes one backfill batch may have made: every variant's catalog and price, every level's stock. */
export function changesOfBackfill(shopId: string, readAt: Date, batch: CatalogBatch): AppliedChange[] {
  const at = { shopId, sourceVersion: readAt, occurredAt: readAt };
  return [
    ...batch.variants.flatMap((row) => [
      { ...at, kind: "catalog" as const, variantExternalId: row.externalId },
      { ...at, kind: "price" as const, variantExternalId: row.externalId },
    ]),
    ...batch.levels.map((row) => ({ ...at, kind: "stock" as const, inventoryItemExternalId: row.inventoryItemExternalId })),
  ];
}
