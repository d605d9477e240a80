import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { SHOPIFY_API_VERSION } from "../../app/config/config.server";
import { ALL_OPERATIONS } from "../../app/platforms/shopify/documents/index";
import { STOREFRONT_OPERATIONS } from "../../app/checkout/documents/index";
import { loadAdminSchema } from "../../simulators/shopify/schema";

const schema = loadAdminSchema(SHOPIFY_API_VERSION);

describe(`the storefront domain's Admin API documents validate against ${SHOPIFY_API_VERSION}`, () => {
  it("targets 2026-10, the schema the checks use", () => {
    expect(SHOPIFY_API_VERSION).toBe("2026-10");
  });

  it.each(STOREFRONT_OPERATIONS.map((operation) => [operation.name, operation.document]))("%s", (_name, document) => {
    expect(validate(schema, parse(document)).map((error) => error.message)).toEqual([]);
  });

  it("has teeth: a field metafieldsSet does not return, or an input field it does not take, is rejected", () => {
    const wrongOutput = parse("mutation M($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { elementIndex position } } }");
    expect(validate(schema, wrongOutput)).not.toHaveLength(0);
    const input = schema.getType("MetafieldsSetInput") as { getFields(): Record<string, unknown> };
    expect(Object.keys(input.getFields()).sort()).toEqual(["compareDigest", "key", "namespace", "ownerId", "type", "value"]);
  });

  it("operation names are unique among every document Lockstep sends (costs are learned per name)", () => {
    const names = [...ALL_OPERATIONS, ...STOREFRONT_OPERATIONS].map((operation) => operation.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
