import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { type GraphQLSchema, type IntrospectionQuery, buildClientSchema, getVariableValues, parse, type OperationDefinitionNode } from "graphql";

/** The API version in shopify.extension.toml, whose Function schema the tests hold the code to. */
export const FUNCTION_API_VERSION = "2026-10";

export const EXTENSION_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

let schema: GraphQLSchema | undefined;

/** Shopify's own introspection of the Cart and Checkout Validation Function API, shipped in @shopify/dev-mcp. */
export function functionSchema(): GraphQLSchema {
  if (!schema) {
    const file = `functions_cart_checkout_validation_${FUNCTION_API_VERSION}.json.gz`;
    const raw = JSON.parse(gunzipSync(readFileSync(findData(file))).toString("utf8")) as { data?: IntrospectionQuery } & IntrospectionQuery;
    schema = buildClientSchema(raw.data ?? raw);
  }
  return schema;
}

export function readExtensionFile(path: string): string {
  return readFileSync(join(EXTENSION_DIR, path), "utf8");
}

/** Errors Shopify would give for this Function result of the `cart.validations.generate.run` target. */
export function outputErrors(result: unknown): string[] {
  const document = parse(`mutation Output($result: CartValidationsGenerateRunResult!) { cartValidationsGenerateRun(result: $result) }`);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const coerced = getVariableValues(functionSchema(), operation.variableDefinitions ?? [], { result });
  return coerced.errors?.map((error) => error.message) ?? [];
}

function findData(file: string): string {
  for (let dir = EXTENSION_DIR; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "@shopify", "dev-mcp", "dist", "data", file);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${file} not found: is @shopify/dev-mcp installed?`);
  }
}
