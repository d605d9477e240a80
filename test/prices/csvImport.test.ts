import { describe, expect, it, vi } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { importPriceCsv } from "../../app/prices/csvImport.server";
import { priceAt } from "../../app/prices/sql/priceAt";
import { schedulePrices } from "../../app/prices/versions.server";
import { useTestDatabase } from "../helpers/database";
import { at, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const options = { currency: "USD", createdBy: "import:test", now: at("2026-01-01T00:00:00Z") };

async function refused(work: Promise<unknown>): Promise<LockstepError> {
  const error = await work.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(LockstepError);
  return error as LockstepError;
}

const versionCount = async (shopId: string) => (await db().sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM price_version WHERE shop_id = $1`, [shopId]))[0]!.n;

describe("CSV price import", () => {
  it("loads a price list and a scheduled sale from one file", async () => {
    const shop = await seedPriceShop(db());
    const csv = [
      "sku,amount,compare_at,valid_from,valid_to",
      "SKU-1,19.99,,,",
      "SKU-2,5.00,,,",
      "SKU-1,14.99,19.99,2026-06-01T00:00:00Z,2026-06-08T00:00:00Z",
      "SKU-1,19.99,,2026-06-08T00:00:00Z,",
    ].join("\n");
    expect(await importPriceCsv(db().sql, shop.shopId, csv, options)).toEqual({ versions: 4 });
    const prices = async (when: string) => (await priceAt(db().sql, shop.shopId, "default", ["SKU-1", "SKU-2"], at(when))).map((row) => row.amount);
    expect(await prices("2026-05-31T23:59:59.999Z")).toEqual(["19.9900", "5.0000"]);
    expect(await prices("2026-06-01T00:00:00Z")).toEqual(["14.9900", "5.0000"]);
    expect(await prices("2026-06-08T00:00:00Z")).toEqual(["19.9900", "5.0000"]);
  });

  it("reports unknown SKUs, negative amounts and overlaps per row, and applies nothing", async () => {
    const shop = await seedPriceShop(db());
    await schedulePrices(db().sql, shop.shopId, [{ variantId: shop.variants.get("SKU-3")!, amount: "9.00", currency: "USD", validFrom: at("2026-03-01T00:00:00Z"), validTo: at("2026-03-10T00:00:00Z") }], { source: "staff", createdBy: "t" });
    const before = await versionCount(shop.shopId);
    const csv = [
      "sku,amount,currency,valid_from,valid_to",
      "SKU-1,10.00,USD,,",
      "NOPE,3.00,USD,,",
      "SKU-2,-4.00,USD,,",
      "SKU-3,8.00,USD,2026-03-05T00:00:00Z,2026-03-20T00:00:00Z",
      "SKU-1,7.00,USD,2026-04-01T00:00:00Z,2026-04-10T00:00:00Z",
      "SKU-1,6.00,USD,2026-04-05T00:00:00Z,2026-04-12T00:00:00Z",
      "SKU-2,1.00,usd dollars,,",
      "SKU-2,1.00,USD,tomorrow,",
    ].join("\n");
    const error = await refused(importPriceCsv(db().sql, shop.shopId, csv, options));
    expect(error).toMatchObject({ code: "import_refused", status: 422, details: { refusedRows: 6 } });
    expect((error.details!.rows as Array<{ line: number; sku: string; code: string }>).map(({ line, sku, code }) => [line, sku, code])).toEqual([
      [3, "NOPE", "unknown_sku"],
      [4, "SKU-2", "negative_amount"],
      [5, "SKU-3", "price_overlap"],
      [7, "SKU-1", "price_overlap"],
      [8, "SKU-2", "invalid_currency"],
      [9, "SKU-2", "invalid_valid_from"],
    ]);
    expect(await versionCount(shop.shopId)).toBe(before);
  });

  it("refuses a file it cannot read with a clear 400", async () => {
    const shop = await seedPriceShop(db());
    expect(await refused(importPriceCsv(db().sql, shop.shopId, "sku,price\nSKU-1,1.00", options))).toMatchObject({ code: "missing_column", status: 400 });
    expect(await refused(importPriceCsv(db().sql, shop.shopId, "sku,amount\n", options))).toMatchObject({ code: "empty_import" });
    expect(await refused(importPriceCsv(db().sql, shop.shopId, 'sku,amount\n"SKU-1,1.00', options))).toMatchObject({ code: "invalid_csv" });
    expect(await versionCount(shop.shopId)).toBe(0);
  });
});
