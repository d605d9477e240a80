import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { type GraphQLSchema, type IntrospectionQuery, buildClientSchema } from "graphql";

const schemas = new Map<string, GraphQLSchema>();

/**
 * Shopify's own Admin API introspection for `version`, as shipped in `@shopify/dev-mcp`
 * (a dev dependency): the simulator executes against it and the tests validate against it.
 */
export function loadAdminSchema(version = "2026-10"): GraphQLSchema {
  let schema = schemas.get(version);
  if (!schema) {
    const raw = JSON.parse(gunzipSync(readFileSync(schemaFile(version))).toString("utf8")) as {
      data: IntrospectionQuery;
    };
    schema = buildClientSchema(raw.data);
    schemas.set(version, schema);
  }
  return schema;
}

// The package exports no path to its data folder, so look for it in node_modules up the tree.
function schemaFile(version: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", "@shopify", "dev-mcp", "dist", "data", `admin_${version}.json.gz`);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`admin_${version}.json.gz not found: is @shopify/dev-mcp installed?`);
  }
}
