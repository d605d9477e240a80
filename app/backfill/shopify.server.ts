import { conditionOf, identifierOf, plainText } from "../catalog/feedAttributes";
import { LockstepError } from "../config/errors";
import type { ShopifyAdminClient } from "../platforms/shopify/adminClient.server";
import { type BulkRunOptions, readJsonLines, runBulkQuery } from "../platforms/shopify/bulkOperations.server";
import { catalogBackfillBulkQuery, LOCATIONS_BACKFILL_BULK_QUERY, metafieldAlias } from "../platforms/shopify/documents/backfill";
import type { CatalogRow } from "../catalog/catalogRows";

export interface ShopifyCatalogOptions extends BulkRunOptions {
  /** How the JSONL result files are downloaded (tests may pass their own). */
  fetch?: typeof fetch;
  /** Product metafields (`namespace.key`) to read along: the ones the shop's feed mappings name. */
  metafields?: readonly string[];
}

interface VariantLine {
  id: string;
  sku: string | null;
  title: string;
  price: string;
  compareAtPrice: string | null;
  barcode: string | null;
  mpn: { value: string } | null;
  product: {
    id: string;
    title: string;
    status: string;
    handle: string;
    vendor: string;
    descriptionHtml: string;
    featuredMedia: { preview: { image: { url: string } | null } | null } | null;
    condition: { value: string } | null;
    [alias: `lockstep_metafield_${number}`]: { value: string } | null;
  };
  inventoryItem: { id: string };
}

/** A product row with the feed attributes, spelt as the products webhook's normaliser spells them. */
function productRow(product: VariantLine["product"], metafields: readonly string[]): CatalogRow {
  const values = metafields.flatMap((name, index) => {
    const value = product[metafieldAlias(index) as `lockstep_metafield_${number}`]?.value;
    return typeof value === "string" ? [[name, value] as const] : [];
  });
  return {
    kind: "product",
    externalId: product.id,
    title: product.title,
    status: product.status.toLowerCase(),
    description: plainText(product.descriptionHtml),
    urlPath: product.handle ? `/products/${product.handle}` : undefined,
    imageUrl: product.featuredMedia?.preview?.image?.url ?? undefined,
    brand: identifierOf(product.vendor),
    condition: conditionOf(product.condition?.value),
    metafields: metafields.length > 0 ? Object.fromEntries(values) : undefined,
  };
}

interface LevelLine {
  item: { id: string };
  location: { id: string };
  quantities: Array<{ name: string; quantity: number }>;
}

function gidType(id: unknown): string | undefined {
  return typeof id === "string" ? /^gid:\/\/shopify\/([A-Za-z]+)\//.exec(id)?.[1] : undefined;
}

/** Lockstep's numbers from Shopify's quantities (see the CatalogRow note on on hand). */
function levelRow(line: LevelLine): CatalogRow {
  const quantity = (name: string) => line.quantities.find((entry) => entry.name === name)?.quantity ?? 0;
  // Shopify's on_hand also counts reserved, damaged, quality-control and safety-stock units that are
  // not for sale; available + committed is what the webhook consumers store, so both feeds agree.
  return {
    kind: "level",
    inventoryItemExternalId: line.item.id,
    locationExternalId: line.location.id,
    onHand: quantity("available") + quantity("committed"),
    committed: quantity("committed"),
    incoming: quantity("incoming"),
  };
}

/**
 * A Shopify shop's whole catalog through two bulk operations started side by side (locations;
 * variants with their product, inventory item and levels), their JSONL files read one line at a
 * time. Rows come out parents first: every location, then each product at its first variant,
 * each variant before its levels (Shopify writes a parent's line before its children's).
 */
export async function* readShopifyCatalog(client: ShopifyAdminClient, options: ShopifyCatalogOptions = {}): AsyncGenerator<CatalogRow> {
  const [locationsUrl, catalogUrl] = await Promise.all([
    runBulkQuery(client, LOCATIONS_BACKFILL_BULK_QUERY, options),
    runBulkQuery(client, catalogBackfillBulkQuery(options.metafields ?? []), options),
  ]);
  if (locationsUrl) {
    for await (const line of readJsonLines(locationsUrl, options.fetch)) {
      yield { kind: "location", externalId: line.id as string, name: line.name as string, active: line.isActive !== false };
    }
  }
  if (!catalogUrl) return;
  const productsSeen = new Set<string>();
  for await (const line of readJsonLines(catalogUrl, options.fetch)) {
    const type = gidType(line.id);
    if (type === "ProductVariant") {
      const variant = line as unknown as VariantLine;
      if (!productsSeen.has(variant.product.id)) {
        productsSeen.add(variant.product.id);
        yield productRow(variant.product, options.metafields ?? []);
      }
      yield {
        kind: "variant",
        externalId: variant.id,
        productExternalId: variant.product.id,
        inventoryItemExternalId: variant.inventoryItem.id,
        sku: variant.sku,
        title: variant.title,
        price: variant.price,
        compareAtPrice: variant.compareAtPrice ?? undefined,
        gtin: identifierOf(variant.barcode ?? undefined),
        mpn: identifierOf(variant.mpn?.value),
      };
    } else if (type === "InventoryLevel") {
      yield levelRow(line as unknown as LevelLine);
    } else {
      throw new LockstepError("bulk_result_unexpected", `unexpected line in the catalog bulk result: ${String(line.id)}`);
    }
  }
}
