import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { SHOPIFY_API_VERSION } from "../../app/config/config.server";
import { ALL_OPERATIONS, EMBEDDED_DOCUMENTS } from "../../app/platforms/shopify/documents/index";
import { estimateQueryCost } from "../../app/platforms/shopify/queryCost";
import { loadAdminSchema } from "../../simulators/shopify/schema";

const schema = loadAdminSchema(SHOPIFY_API_VERSION);

describe(`every GraphQL document Lockstep sends validates against Admin API ${SHOPIFY_API_VERSION}`, () => {
  it.each(ALL_OPERATIONS.map((operation) => [operation.name, operation.document]))("%s", (_name, document) => {
    expect(validate(schema, parse(document)).map((error) => error.message)).toEqual([]);
  });

  it.each(Object.entries(EMBEDDED_DOCUMENTS))("embedded bulk query %s", (_name, document) => {
    expect(validate(schema, parse(document)).map((error) => error.message)).toEqual([]);
  });

  it("operation names are unique, so costs learned per operation cannot mix", () => {
    const names = ALL_OPERATIONS.map((operation) => operation.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("inventory mutations carry @idempotent and changeFromQuantity is part of their input", () => {
    for (const operation of ALL_OPERATIONS.filter((o) => o.name.startsWith("LockstepInventory") && o.kind === "mutation")) {
      expect(operation.document).toMatch(/@idempotent\(key: \$idempotencyKey\)/);
    }
    const quantityInput = schema.getType("InventoryQuantityInput") as { getFields(): Record<string, unknown> };
    expect(Object.keys(quantityInput.getFields())).toContain("changeFromQuantity");
  });

  it("the schema check has teeth: a misspelt field or a missing directive argument is rejected", () => {
    const misspelt = parse("query Broken { productVariants(first: 1) { nodes { skuu } } }");
    expect(validate(schema, misspelt)).not.toHaveLength(0);
    const noKey = parse(
      "mutation M($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @idempotent { userErrors { code } } }",
    );
    expect(validate(schema, noKey)).not.toHaveLength(0);
  });
});

describe("estimateQueryCost follows Shopify's rules", () => {
  it("prices mutations at 10 and connections by page size", () => {
    const byName = Object.fromEntries(ALL_OPERATIONS.map((operation) => [operation.name, operation]));
    expect(estimateQueryCost(byName.LockstepInventorySetQuantities!.ast, {})).toBe(10);
    // 2 + 50 × (variant 1 + product 1 + inventoryItem 1) + pageInfo 1
    expect(estimateQueryCost(byName.LockstepProductVariants!.ast, { first: 50 })).toBe(2 + 50 * 3 + 1);
    // inventoryItem 1 + inventoryLevel 1 + quantities 1
    expect(estimateQueryCost(byName.LockstepInventoryLevel!.ast, {})).toBe(3);
  });
});
