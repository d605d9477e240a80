/**
 * The initial catalog backfill: two bulk queries run side by side (a shop may run five at once
 * from 2026-01). Bulk queries take no page sizes. Every level line names its own inventory item
 * and location, so the reader needs no `__parentId` bookkeeping and the order of lines after
 * their parents (not grouped, `groupObjects: false`) does not matter. The feed attributes Shopify
 * has no field for (MPN, condition) come from the metafields its Google & YouTube channel writes.
 */
export const LOCATIONS_BACKFILL_BULK_QUERY = /* GraphQL */ `
  {
    locations(includeInactive: true) {
      edges {
        node {
          id
          name
          isActive
        }
      }
    }
  }
`;

const CATALOG_TEMPLATE = /* GraphQL */ `
  {
    productVariants {
      edges {
        node {
          id
          sku
          title
          price
          compareAtPrice
          barcode
          mpn: metafield(namespace: "mm-google-shopping", key: "mpn") {
            value
          }
          product {
            id
            title
            status
            handle
            vendor
            descriptionHtml
            featuredMedia {
              preview {
                image {
                  url
                }
              }
            }
            condition: metafield(namespace: "mm-google-shopping", key: "condition") {
              value
            }
            #METAFIELDS#
          }
          inventoryItem {
            id
            inventoryLevels {
              edges {
                node {
                  id
                  item {
                    id
                  }
                  location {
                    id
                  }
                  quantities(names: ["available", "on_hand", "committed", "incoming"]) {
                    name
                    quantity
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`;

/** The alias the catalog query reads the i-th named product metafield under. */
export const metafieldAlias = (index: number) => `lockstep_metafield_${index}`;

/**
 * The catalog query reading, besides the fixed fields, the product metafields feed mappings name
 * (`namespace.key`, each part letters, digits, `_` and `-`: checked by the mapping's schema).
 */
export function catalogBackfillBulkQuery(metafields: readonly string[]): string {
  const aliases = metafields.map((name, index) => {
    const dot = name.indexOf(".");
    return `${metafieldAlias(index)}: metafield(namespace: ${JSON.stringify(name.slice(0, dot))}, key: ${JSON.stringify(name.slice(dot + 1))}) {
              value
            }`;
  });
  return CATALOG_TEMPLATE.replace("#METAFIELDS#", aliases.join("\n            "));
}

export const CATALOG_BACKFILL_BULK_QUERY = catalogBackfillBulkQuery([]);
