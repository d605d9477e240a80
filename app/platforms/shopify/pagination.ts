import { type ShopifyAdminClient } from "./adminClient";
import { type PageInfo } from "./documents/catalog";
import { type ShopifyOperation } from "./operation";

export interface Connection<TNode> {
  nodes: TNode[];
  pageInfo: PageInfo;
}

/**
 * Walks a connection page by page with `after: endCursor`, yielding nodes as they come, so a large
 * catalog is never held whole. Each page is its own throttled request.
 */
export async function* paginate<TData, TVariables extends { first: number; after?: string | null }, TNode>(
  client: ShopifyAdminClient,
  operation: ShopifyOperation<TData, TVariables>,
  variables: TVariables,
  connectionOf: (data: TData) => Connection<TNode>,
): AsyncGenerator<TNode> {
  let after = variables.after ?? null;
  for (;;) {
    const { data } = await client.request(operation, { ...variables, after });
    const connection = connectionOf(data);
    yield* connection.nodes;
    if (!connection.pageInfo.hasNextPage || !connection.pageInfo.endCursor) return;
    after = connection.pageInfo.endCursor;
  }
}
