import { parse, type DocumentNode, type OperationDefinitionNode } from "graphql";

/**
 * One GraphQL document Lockstep sends to the Admin API, kept in its own file under documents/ and
 * validated against the targeted API version's schema in a test.
 */
export interface ShopifyOperation<TData, TVariables extends Record<string, unknown>> {
  readonly name: string;
  readonly document: string;
  readonly ast: DocumentNode;
  readonly kind: "query" | "mutation";
  /** Phantom fields: carry the result and variable types to `request` without a code generator. */
  readonly __data?: TData;
  readonly __variables?: TVariables;
}

export function shopifyOperation<TData, TVariables extends Record<string, unknown> = Record<string, never>>(
  document: string,
): ShopifyOperation<TData, TVariables> {
  const ast = parse(document);
  const operations = ast.definitions.filter((d): d is OperationDefinitionNode => d.kind === "OperationDefinition");
  const operation = operations[0];
  if (operations.length !== 1 || !operation?.name) throw new Error("a Shopify document holds exactly one named operation");
  if (operation.operation === "subscription") throw new Error("the Admin API has no subscriptions");
  return { name: operation.name.value, document, ast, kind: operation.operation };
}
