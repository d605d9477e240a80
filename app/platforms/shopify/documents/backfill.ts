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

export const CATALOG_BACKFILL_BULK_QUERY = /* GraphQL */ `
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
