import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { SHOPIFY_API_VERSION } from "../../app/config/config.server";
import { CATALOG_BACKFILL_BULK_QUERY } from "../../app/platforms/shopify/documents/backfill";
import { loadAdminSchema } from "../../simulators/shopify/schema";

const schema = loadAdminSchema(SHOPIFY_API_VERSION);

// The queries themselves are validated with every other document in test/platforms/shopifyDocuments.test.ts.
describe(`the backfill's bulk queries against Admin API ${SHOPIFY_API_VERSION}`, () => {
  it("the check has teeth: a quantity list on a field that takes none is rejected", () => {
    const broken = CATALOG_BACKFILL_BULK_QUERY.replace("title\n          price", "title(names: [\"x\"])\n          price");
    expect(validate(schema, parse(broken))).not.toHaveLength(0);
  });
});
