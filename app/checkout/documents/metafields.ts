import { shopifyOperation } from "../../platforms/shopify/operation";

/** The most metafields one `metafieldsSet` call may carry. */
export const METAFIELDS_SET_LIMIT = 25;

export interface MetafieldsSetInput {
  ownerId: string;
  namespace: string;
  key: string;
  type: string;
  value: string;
}

export interface MetafieldsSetUserError {
  code: string | null;
  /** Which input of the call it is about. */
  elementIndex: number | null;
  field: string[] | null;
  message: string;
}

/** Creates or replaces up to 25 metafields at once; Shopify saves all of them or none. */
export const metafieldsSet = shopifyOperation<
  { metafieldsSet: { metafields: Array<{ id: string; key: string; namespace: string; updatedAt: string; owner: { id: string } | null }> | null; userErrors: MetafieldsSetUserError[] } },
  { metafields: MetafieldsSetInput[] }
>(/* GraphQL */ `
  mutation LockstepMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields {
        id
        key
        namespace
        updatedAt
        owner {
          ... on Node {
            id
          }
        }
      }
      userErrors {
        code
        elementIndex
        field
        message
      }
    }
  }
`);
