import {
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

/**
 * Estimates the cost Shopify will ask for a document, before sending it, by Shopify's published
 * rules: scalars and enums 0, objects 1, connections 2 + the requested page size times the cost
 * of one node, mutations 10. The estimate is the weight the request takes from the shop's bucket;
 * the real `requestedQueryCost` in the answer corrects it.
 */
export function estimateQueryCost(document: DocumentNode, variables: Record<string, unknown> = {}): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return 0;
  if (operation.operation === "mutation") return MUTATION_COST;
  return selectionCost(operation.selectionSet, fragments, variables);
}

export const MUTATION_COST = 10;

function selectionCost(
  selectionSet: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): number {
  if (!selectionSet) return 0;
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) total += fieldCost(selection, fragments, variables);
    else if (selection.kind === Kind.INLINE_FRAGMENT) total += selectionCost(selection.selectionSet, fragments, variables);
    else total += selectionCost(fragments.get(selection.name.value)?.selectionSet, fragments, variables);
  }
  return total;
}

function fieldCost(field: FieldNode, fragments: Map<string, FragmentDefinitionNode>, variables: Record<string, unknown>): number {
  if (!field.selectionSet) return 0;
  const pageSize = pageSizeOf(field, variables);
  if (pageSize === undefined) return 1 + selectionCost(field.selectionSet, fragments, variables);
  // A connection: each node is an object (1) plus what is selected in it (through `nodes` or
  // `edges { node }`), paid per requested node.
  let perNode = 1;
  let perPage = 0;
  for (const selection of field.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    if (selection.name.value === "nodes") perNode = 1 + selectionCost(selection.selectionSet, fragments, variables);
    else if (selection.name.value === "edges") {
      for (const edgeField of selection.selectionSet?.selections ?? []) {
        if (edgeField.kind === Kind.FIELD && edgeField.name.value === "node") {
          perNode = 1 + selectionCost(edgeField.selectionSet, fragments, variables);
        }
      }
    } else perPage += fieldCost(selection, fragments, variables);
  }
  return 2 + pageSize * perNode + perPage;
}

function pageSizeOf(field: FieldNode, variables: Record<string, unknown>): number | undefined {
  const argument = field.arguments?.find((arg) => arg.name.value === "first" || arg.name.value === "last");
  if (!argument) return undefined;
  const value = valueOf(argument.value, variables);
  return typeof value === "number" ? value : undefined;
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.INT) return Number(node.value);
  return undefined;
}
