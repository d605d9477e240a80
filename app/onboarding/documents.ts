import { shopifyOperation } from "../platforms/shopify/operation";

/** The product template of the published theme: where the availability block sits once the merchant adds it. */
export const mainThemeProductTemplate = shopifyOperation<
  { themes: { nodes: Array<{ files: { nodes: Array<{ filename: string; body: { content?: string } }> } | null }> } },
  { filenames: string[] }
>(/* GraphQL */ `
  query LockstepMainThemeFiles($filenames: [String!]) {
    themes(first: 1, roles: [MAIN]) {
      nodes {
        files(filenames: $filenames, first: 5) {
          nodes {
            filename
            body {
              ... on OnlineStoreThemeFileBodyText {
                content
              }
            }
          }
        }
      }
    }
  }
`);
