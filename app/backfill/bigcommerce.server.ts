import { conditionOf, identifierOf, plainText } from "../catalog/feedAttributes";
import { listBrandNames, listProducts, pages } from "../platforms/bigcommerce/catalog.server";
import type { BigCommerceClient } from "../platforms/bigcommerce/client.server";
import type { InventoryItemAtLocations } from "../platforms/bigcommerce/inventory.server";
import type { CatalogRow } from "../catalog/catalogRows";

interface BigCommerceLocation {
  id: number;
  label: string;
  enabled?: boolean;
}

/**
 * A BigCommerce store's whole catalog through its throttled REST client, page by page: inventory
 * locations, the catalog's brands (a product names its brand by id), products with their variants,
 * then every variant's stock at every location. As in the
 * webhook consumers, a variant is its own inventory item and ids are numbers written as text.
 */
export async function* readBigCommerceCatalog(client: BigCommerceClient, pageSize = 250): AsyncGenerator<CatalogRow> {
  for await (const location of pages<BigCommerceLocation>(client, "/v3/inventory/locations", { limit: pageSize })) {
    yield { kind: "location", externalId: String(location.id), name: location.label, active: location.enabled !== false };
  }
  const brands = await listBrandNames(client, pageSize);
  for await (const product of listProducts(client, pageSize)) {
    yield {
      kind: "product",
      externalId: String(product.id),
      title: product.name,
      status: product.is_visible === false ? "draft" : "active",
      description: plainText(product.description),
      urlPath: identifierOf(product.custom_url?.url),
      imageUrl: (product.images?.find((image) => image.is_thumbnail) ?? product.images?.[0])?.url_standard,
      condition: conditionOf(product.condition),
      brand: product.brand_id ? identifierOf(brands.get(product.brand_id)) : undefined,
    };
    for (const variant of product.variants ?? []) {
      const price = variant.price ?? variant.calculated_price ?? product.price;
      const retail = variant.retail_price ?? product.retail_price;
      yield {
        kind: "variant",
        externalId: String(variant.id),
        productExternalId: String(product.id),
        inventoryItemExternalId: String(variant.id),
        sku: variant.sku,
        title: variant.sku,
        price: String(price),
        // The list price counts as the regular one only above the price (0 or null: none set).
        compareAtPrice: retail && retail > price ? String(retail) : undefined,
        gtin: identifierOf(variant.gtin) ?? identifierOf(variant.upc) ?? identifierOf(product.gtin) ?? identifierOf(product.upc),
        mpn: identifierOf(variant.mpn) ?? identifierOf(product.mpn),
      };
    }
  }
  // BigCommerce keeps no committed or incoming figures at a location: on hand is all it reports.
  for await (const item of pages<InventoryItemAtLocations>(client, "/v3/inventory/items", { limit: 1000 })) {
    if (item.identity.variant_id === undefined) continue;
    for (const location of item.locations) {
      yield {
        kind: "level",
        inventoryItemExternalId: String(item.identity.variant_id),
        locationExternalId: String(location.location_id),
        onHand: location.total_inventory_onhand,
        committed: 0,
        incoming: 0,
      };
    }
  }
}
