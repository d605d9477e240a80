import { shopifyOperation } from "../operation";

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface VariantNode {
  id: string;
  sku: string | null;
  title: string;
  price: string;
  updatedAt: string;
  product: { id: string; title: string };
  inventoryItem: { id: string };
}

export const productVariantsPage = shopifyOperation<
  { productVariants: { nodes: VariantNode[]; pageInfo: PageInfo } },
  { first: number; after?: string | null; query?: string | null }
>(/* GraphQL */ `
  query LockstepProductVariants($first: Int!, $after: String, $query: String) {
    productVariants(first: $first, after: $after, query: $query) {
      nodes {
        id
        sku
        title
        price
        updatedAt
        product {
          id
          title
        }
        inventoryItem {
          id
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export interface LocationNode {
  id: string;
  name: string;
  isActive: boolean;
}

export const locationsPage = shopifyOperation<
  { locations: { nodes: LocationNode[]; pageInfo: PageInfo } },
  { first: number; after?: string | null }
>(/* GraphQL */ `
  query LockstepLocations($first: Int!, $after: String) {
    locations(first: $first, after: $after) {
      nodes {
        id
        name
        isActive
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export interface VariantPriceInput {
  id: string;
  price?: string;
  compareAtPrice?: string | null;
}

/** Price pushes: the variants of one product in one call. */
export const productVariantsBulkUpdate = shopifyOperation<
  {
    productVariantsBulkUpdate: {
      productVariants: Array<{ id: string; price: string; compareAtPrice: string | null }> | null;
      userErrors: Array<{ code: string | null; field: string[] | null; message: string }>;
    };
  },
  { productId: string; variants: VariantPriceInput[] }
>(/* GraphQL */ `
  mutation LockstepUpdateVariantPrices($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
    productVariantsBulkUpdate(productId: $productId, variants: $variants) {
      productVariants {
        id
        price
        compareAtPrice
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`);
