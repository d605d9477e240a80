import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  typeFromAST,
} from "graphql";

/**
 * Shopify's cost rules, applied with the schema in hand: scalars and enums 0, objects 1,
 * connections (types named *Connection) 2 + page size × one node, mutations 10. `data` given:
 * the actual cost, where connections are paid for the nodes really returned.
 */
export function queryCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  data?: Record<string, unknown> | null,
): number {
  if (operation.operation === "mutation") return 10;
  const root = schema.getQueryType()!;
  return selectionCost(root, operation.selectionSet, { schema, fragments, variables }, data ?? undefined);
}

interface Context {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

function selectionCost(parent: GraphQLObjectType, selectionSet: SelectionSetNode, context: Context, data: unknown): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(parent, selection, context, data);
    } else {
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : context.fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition ? typeFromAST(context.schema, fragment.typeCondition) : parent;
      const target = condition && isObjectType(condition) ? condition : parent;
      total += selectionCost(target, fragment.selectionSet, context, data);
    }
  }
  return total;
}

function fieldCost(parent: GraphQLObjectType, field: FieldNode, context: Context, data: unknown): number {
  const definition = parent.getFields()[field.name.value];
  if (!definition || !field.selectionSet) return 0;
  const named = getNamedType(definition.type);
  if (!isCompositeType(named)) return 0;
  const key = field.alias?.value ?? field.name.value;
  const value = data === undefined ? undefined : (data as Record<string, unknown> | null)?.[key];
  if (data !== undefined && (value === null || value === undefined)) return 0;
  const objectType = isObjectType(named) ? named : isInterfaceType(named) ? context.schema.getPossibleTypes(named)[0] : undefined;
  if (named.name.endsWith("Connection") && objectType) {
    const pageSize = requestedPageSize(field, context.variables);
    const nodesField = objectType.getFields().nodes;
    const nodeType = nodesField ? getNamedType(nodesField.type) : undefined;
    let perNode = 1;
    let perPage = 0;
    let returned: number | undefined;
    for (const selection of field.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) continue;
      const sub = value as { nodes?: unknown[]; edges?: Array<{ node: unknown }> } | undefined;
      if ((selection.name.value === "nodes" || selection.name.value === "edges") && nodeType && isObjectType(nodeType)) {
        const inner =
          selection.name.value === "nodes"
            ? selection.selectionSet
            : selection.selectionSet?.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === "node")?.selectionSet;
        if (inner) perNode = Math.max(perNode, 1 + selectionCost(nodeType, inner, context, undefined));
        if (sub) returned = (selection.name.value === "nodes" ? sub.nodes : sub.edges)?.length ?? returned;
      } else {
        perPage += fieldCost(objectType, selection, context, value);
      }
    }
    const count = data === undefined ? pageSize : (returned ?? 0);
    return 2 + count * perNode + perPage;
  }
  const childType = objectType;
  if (!childType) return 1;
  if (Array.isArray(value)) {
    return 1 + Math.max(0, ...value.map((entry) => selectionCost(childType, field.selectionSet!, context, entry)));
  }
  return 1 + selectionCost(childType, field.selectionSet, context, value);
}

function requestedPageSize(field: FieldNode, variables: Record<string, unknown>): number {
  const argument = field.arguments?.find((arg) => arg.name.value === "first" || arg.name.value === "last");
  if (!argument) return 0;
  if (argument.value.kind === Kind.INT) return Number(argument.value.value);
  if (argument.value.kind === Kind.VARIABLE) {
    const value = variables[argument.value.name.value];
    return typeof value === "number" ? value : 0;
  }
  return 0;
}
