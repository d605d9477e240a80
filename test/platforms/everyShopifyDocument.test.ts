import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type DocumentNode, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { SHOPIFY_API_VERSION } from "../../app/config/config.server";
import { loadAdminSchema } from "../../simulators/shopify/schema";

// Every `documents/` folder under app/, whoever owns it: a document added anywhere is checked
// against the Admin API version Lockstep targets without anyone having to register it.
const APP = join(import.meta.dirname, "..", "..", "app");

function documentFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "generated" || name === "node_modules") return [];
    if (statSync(path).isDirectory()) return documentFiles(path);
    return /\/documents\/[^/]+\.ts$/.test(path) && readFileSync(path, "utf8").includes("GraphQL") ? [path] : [];
  });
}

interface Found {
  name: string;
  ast: DocumentNode;
}

async function documentsOf(file: string): Promise<Found[]> {
  const exports = (await import(file)) as Record<string, unknown>;
  const found: Found[] = [];
  for (const [name, value] of Object.entries(exports)) {
    if (value && typeof value === "object" && "ast" in value && "document" in value) found.push({ name, ast: (value as { ast: DocumentNode }).ast });
    else if (typeof value === "string" && /^\s*(query|mutation|\{)/.test(value)) found.push({ name, ast: parse(value) });
  }
  return found;
}

const schema = loadAdminSchema(SHOPIFY_API_VERSION);
const files = documentFiles(APP);

describe(`every GraphQL document under app/**/documents validates against Admin API ${SHOPIFY_API_VERSION}`, () => {
  it("finds the document folders", () => {
    expect(files.map((file) => relative(APP, file))).toEqual(expect.arrayContaining(["platforms/shopify/documents/inventory.ts"]));
  });

  it.each(files.map((file) => [relative(APP, file), file]))("%s", async (_name, file) => {
    const documents = await documentsOf(file);
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) {
      expect(validate(schema, document.ast).map((error) => `${document.name}: ${error.message}`)).toEqual([]);
    }
  });
});
