/** Placeholder SKU for variants the platform gave none (SKUs are unique per shop, empty ones are not). */
export function skuOrPlaceholder(sku: string | null | undefined, externalId: string): string {
  return sku && sku.trim() !== "" ? sku.trim() : `#${externalId}`;
}
