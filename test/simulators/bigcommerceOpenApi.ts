import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";

// BigCommerce's own OpenAPI descriptions, shared with the project (see their README).
const SPEC_DIR = join(import.meta.dirname, "..", "fixtures", "bigcommerce-openapi");
const SPEC_FILES = ["inventory.v3.yml", "locations.v3.yml", "products_catalog.v3.yml", "product-variants_catalog.v3.yml", "orders.v2.oas2.yml", "price_lists.v3.yml"];

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}
interface Operation {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const specs: OpenApi[] = SPEC_FILES.map((file) => parse(readFileSync(join(SPEC_DIR, file), "utf8")) as OpenApi);
// OpenAPI 3.0 keywords (example, nullable, x-*) are not JSON Schema: not strict.
const ajv = new Ajv({ strict: false, allErrors: true });
const compiled = new Map<string, ValidateFunction>();

/** Inlines `#/components/...` references of one spec so ajv sees a self-contained schema. */
function inline(schema: unknown, spec: OpenApi, depth = 0): unknown {
  if (depth > 40 || schema === null || typeof schema !== "object") return schema;
  if (Array.isArray(schema)) return schema.map((entry) => inline(entry, spec, depth + 1));
  const ref = (schema as { $ref?: string }).$ref;
  if (ref?.startsWith("#/")) {
    const target = ref
      .slice(2)
      .split("/")
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], spec);
    return inline(target, spec, depth + 1);
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, inline(value, spec, depth + 1)]));
}

function findOperation(method: string, path: string): { spec: OpenApi; operation: Operation; template: string } {
  // The specs' servers end in /v3 (orders: /v2); our paths start with it.
  const version = path.startsWith("/v2/") ? "/v2" : "/v3";
  const bare = path.replace(/^\/v[23]/, "").split("?")[0]!;
  for (const spec of specs) {
    if (!(spec as { servers?: Array<{ url: string }> }).servers?.some((server) => server.url.endsWith(version))) continue;
    for (const [template, item] of Object.entries(spec.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
      const operation = item[method.toLowerCase()];
      if (pattern.test(bare) && operation) return { spec, operation, template };
    }
  }
  throw new Error(`no ${method} ${path} in BigCommerce's OpenAPI descriptions`);
}

function validator(key: string, make: () => unknown): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(make() as object);
    compiled.set(key, validate);
  }
  return validate;
}

/** Errors of a request body against the spec (empty when it conforms). */
export function requestErrors(method: string, path: string, body: unknown): string[] {
  const { spec, operation, template } = findOperation(method, path);
  const schema = operation.requestBody?.content?.["application/json"]?.schema;
  if (!schema) return [];
  const validate = validator(`req ${method} ${template}`, () => inline(schema, spec));
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

/** Errors of a response body against the spec's schema for that status. */
export function responseErrors(method: string, path: string, status: number, body: unknown): string[] {
  const { spec, operation, template } = findOperation(method, path);
  const response = operation.responses?.[String(status)];
  if (!response) return [`status ${status} is not documented for ${method} ${template}`];
  const content = response.content?.["application/json"] ?? response.content?.["application/problem+json"];
  if (!content?.schema) return [];
  const validate = validator(`res ${method} ${template} ${status}`, () => inline(content.schema, spec));
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}
