import { generate } from "@graphql-codegen/cli";
import { type OperationDefinitionNode, parse, printSchema, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { AVAILABILITY_KEY, CHECKOUT_CLOCK_KEY, LOCKSTEP_NAMESPACE } from "./availability";
import { EXTENSION_DIR, FUNCTION_API_VERSION, functionSchema, outputErrors, readExtensionFile } from "./testing/functionSchema";

const toml = readExtensionFile("shopify.extension.toml");
const tomlValue = (key: string) => new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, "m").exec(toml)?.[1];
const inputQuery = readExtensionFile(tomlValue("input_query")!);

describe("the Function against Shopify's Cart and Checkout Validation API schema", () => {
  it("targets the API version and the run target whose schema the tests use", () => {
    expect(tomlValue("api_version")).toBe(FUNCTION_API_VERSION);
    expect(tomlValue("target")).toBe("cart.validations.generate.run");
    // The target's result is handed to the mutation field of the same name.
    expect(functionSchema().getMutationType()?.getFields().cartValidationsGenerateRun).toBeDefined();
    expect(tomlValue("export")).toBe("cart-validations-generate-run");
  });

  it("has an input query Shopify accepts", () => {
    expect(validate(functionSchema(), parse(inputQuery)).map((error) => error.message)).toEqual([]);
  });

  it("would notice a field Shopify does not have", () => {
    const misspelt = inputQuery.replace("isGiftCard", "isGiftcard");
    expect(validate(functionSchema(), parse(misspelt)).map((error) => error.message)).toEqual([
      'Cannot query field "isGiftcard" on type "Product". Did you mean "isGiftCard"?',
    ]);
  });

  it("reads the metafields and the input variable the code and the toml name", () => {
    expect(inputQuery).toContain(`metafield(namespace: "${LOCKSTEP_NAMESPACE}", key: "${AVAILABILITY_KEY}")`);
    expect(inputQuery).toContain(`metafield(namespace: "${LOCKSTEP_NAMESPACE}", key: "${CHECKOUT_CLOCK_KEY}")`);
    expect(tomlValue("namespace")).toBe(LOCKSTEP_NAMESPACE);
    expect(tomlValue("key")).toBe(CHECKOUT_CLOCK_KEY);
    const operation = parse(inputQuery).definitions[0] as OperationDefinitionNode;
    // The variables metafield (the clock) must carry a value for every variable of the query.
    expect(operation.variableDefinitions?.map((definition) => definition.variable.name.value)).toEqual(["clockValidUntilLocal"]);
  });

  it("keeps schema.graphql (what the type generation reads) equal to Shopify's schema", () => {
    expect(readExtensionFile("schema.graphql").trim()).toBe(printSchema(functionSchema()).trim());
  });

  it("keeps generated/api.ts equal to what the type generation gives for the input query", async () => {
    const { codegen } = JSON.parse(readExtensionFile("package.json")) as { codegen: { schema: string; documents: string; generates: Record<string, { plugins: string[] }> } };
    const files = (await generate({ ...codegen, cwd: EXTENSION_DIR, silent: true }, false)) as Array<{ filename: string; content: string }>;
    expect(files.map((file) => file.filename)).toEqual(["./generated/api.ts"]);
    expect(files[0]!.content).toBe(readExtensionFile("generated/api.ts"));
  });

  it("checks Function results the way Shopify does", () => {
    expect(outputErrors({ operations: [] })).toEqual([]);
    expect(outputErrors({ operations: [{ validationAdd: { errors: [{ message: "Sold out" }] } }] })).not.toEqual([]);
    expect(outputErrors({ errors: [] })).not.toEqual([]);
  });
});
