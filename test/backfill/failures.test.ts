import { describe, expect, it } from "vitest";
import { type BackfillDeps, runBackfill } from "../../app/backfill/backfill.server";
import type { CatalogRow } from "../../app/catalog/catalogRows";
import type { Sql } from "../../app/db/database.server";
import { useTestDatabase } from "../helpers/database";
import { catalogInDatabase, createShop } from "./catalogFixture";

const getDb = useTestDatabase();

async function* smallCatalog(): AsyncGenerator<CatalogRow> {
  yield { kind: "location", externalId: "L1", name: "Main", active: true };
  yield { kind: "product", externalId: "P1", title: "Mug", status: "active" };
  yield { kind: "variant", externalId: "V1", productExternalId: "P1", inventoryItemExternalId: "V1", sku: "MUG", title: "Mug", price: "9.50" };
  yield { kind: "level", inventoryItemExternalId: "V1", locationExternalId: "L1", onHand: 4, committed: 1, incoming: 0 };
}

function deps(overrides: Partial<BackfillDeps>): BackfillDeps {
  return { sql: getDb().sql, catalogOf: smallCatalog, invalidate: async () => undefined, ...overrides };
}

describe("backfill failures that are not the platform's", () => {
  it("a failing availability invalidation does not fail the backfill (the cache's TTL ends the old numbers)", async () => {
    const shopId = await createShop(getDb(), "bigcommerce", "stores/invalidation-fails");
    const record = await runBackfill(deps({ invalidate: () => Promise.reject(new Error("Redis down")) }), shopId);
    expect(record.state).toBe("done");
    expect((await catalogInDatabase(getDb().sql, shopId)).levels).toEqual([{ item: "V1", location: "L1", onHand: 4, committed: 1, incoming: 0 }]);
  });

  it("when the outcome cannot be read back, finished still resolves, as failed with the reason", async () => {
    const shopId = await createShop(getDb(), "bigcommerce", "stores/database-goes-away");
    const real = getDb().sql;
    const failingReads: Sql = {
      ...real,
      query: (text, params) => (text.startsWith("SELECT shop_id AS") ? Promise.reject(new Error("connection terminated")) : real.query(text, params)),
    };
    const record = await runBackfill(deps({ sql: failingReads }), shopId);
    expect(record).toMatchObject({ shopId, state: "failed", error: "the backfill's outcome could not be read: connection terminated" });
  });
});
