import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { EXTENSION_DIR, readExtensionFile } from "./testing/functionSchema";

const workDir = mkdtempSync(join(tmpdir(), "lockstep-function-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The module the Shopify CLI generates around a JavaScript Function: one export per target, each run by @shopify/shopify_function/run. */
function cliEntrypoint(exportNames: string[]): string {
  const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_match, c: string) => c.toUpperCase());
  return [
    `import __runFunction from "@shopify/shopify_function/run"`,
    ...exportNames.map((name) => `import { ${camel(name)} as ${camel(`run-${name}`)} } from "user-function"\nexport function ${camel(name)}() { return __runFunction(${camel(`run-${name}`)}) }`),
  ].join("\n");
}

describe("the Function bundled as the Shopify CLI bundles it (everything but the Wasm step)", () => {
  it("runs each exported target through ShopifyFunction's input and output", async () => {
    const exportNames = [...readExtensionFile("shopify.extension.toml").matchAll(/^\s*export\s*=\s*"([^"]+)"/gm)].map((match) => match[1]!);
    expect(exportNames).toEqual(["cart-validations-generate-run"]);
    // The CLI refuses any other export name.
    for (const name of exportNames) expect(name).toMatch(/^[a-z0-9-]+$/);

    const result = await build({
      stdin: { contents: cliEntrypoint(exportNames), loader: "ts", resolveDir: EXTENSION_DIR },
      alias: { "user-function": join(EXTENSION_DIR, "src", "index.ts") },
      bundle: true,
      format: "esm",
      target: "es2022",
      legalComments: "none",
      write: false,
      logLevel: "silent",
    });
    const file = join(workDir, "function.mjs");
    writeFileSync(file, result.outputFiles[0]!.text);
    // Nothing Node-only may reach the Wasm runtime.
    expect(result.outputFiles[0]!.text).not.toMatch(/node:|require\(/);

    const written: unknown[] = [];
    const input = {
      cart: {
        lines: [{
          id: "gid://shopify/CartLine/1",
          quantity: 2,
          merchandise: {
            __typename: "ProductVariant",
            id: "gid://shopify/ProductVariant/1",
            sku: "TEE",
            title: "Default Title",
            product: { title: "Merino Tee", isGiftCard: false },
            availability: null,
          },
        }],
      },
      localization: { language: { isoCode: "EN" } },
      shop: { localTime: { clockExpired: false } },
      validation: { clock: null },
    };
    const global = globalThis as { ShopifyFunction?: unknown };
    global.ShopifyFunction = { readInput: () => input, writeOutput: (value: unknown) => written.push(value) };
    try {
      const module = (await import(pathToFileURL(file).href)) as Record<string, () => void>;
      module.cartValidationsGenerateRun!();
    } finally {
      delete global.ShopifyFunction;
    }
    expect(written).toEqual([
      {
        operations: [{
          validationAdd: {
            errors: [{ target: "$.cart.lines[0].quantity", message: "We can't confirm stock for Merino Tee right now, so it can't be bought at the moment." }],
          },
        }],
      },
    ]);
  });
});
