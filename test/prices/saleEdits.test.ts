import { describe, expect, it, vi } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { cancelSale, createSale, editSale, historyOf, salesOf } from "../../app/prices/sales.server";
import { priceAt } from "../../app/prices/sql/priceAt";
import { schedulePrices } from "../../app/prices/versions.server";
import { useTestDatabase } from "../helpers/database";
import { at, plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const now = at("2026-11-20T00:00:00.000Z");
const start = at("2026-11-27T00:00:00.000Z");
const end = at("2026-11-30T00:00:00.000Z");

async function shopWithSale() {
  const shop = await seedPriceShop(db());
  await schedulePrices(
    db().sql,
    shop.shopId,
    [
      { variantId: shop.variants.get("SKU-1")!, amount: "40.00", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") },
      { variantId: shop.variants.get("SKU-2")!, amount: "19.99", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") },
    ],
    { source: "seed", createdBy: "test" },
  );
  const { saleId } = await createSale(db().sql, shop.shopId, { name: "Black Friday", skus: ["SKU-1", "SKU-2"], kind: "percent", value: "25", startsAt: start, endsAt: end, createdBy: "staff:alice" });
  return { ...shop, saleId };
}

const amountAt = async (shopId: string, sku: string, when: Date) => (await priceAt(db().sql, shopId, "default", [sku], when))[0]?.amount ?? null;

async function refusal(work: Promise<unknown>): Promise<LockstepError> {
  const error = await work.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(LockstepError);
  return error as LockstepError;
}

describe("editing and cancelling a scheduled sale", () => {
  it("cancelling before the start leaves the price before it running on, and keeps the sale's versions in the history, superseded", async () => {
    const shop = await shopWithSale();
    expect(await cancelSale(db().sql, shop.shopId, shop.saleId, "staff:bob", now)).toEqual({ name: "Black Friday", skus: ["SKU-1", "SKU-2"] });
    for (const when of [plus(start, -1), start, plus(end, -1), end]) expect(await amountAt(shop.shopId, "SKU-1", when)).toBe("40.0000");
    const [current] = await priceAt(db().sql, shop.shopId, "default", ["SKU-2"], start);
    expect(current).toMatchObject({ amount: "19.9900", validTo: null, compareAt: null });
    const history = await historyOf(db().sql, shop.shopId, "SKU-1");
    expect(history.filter((row) => row.saleId === shop.saleId).every((row) => row.supersededAt !== null)).toBe(true);
    expect((await salesOf(db().sql, shop.shopId, now)).map((sale) => [sale.name, sale.status])).toEqual([["Black Friday", "cancelled"]]);
  });

  it("editing before the start re-plans the same sale: new window, value and items, the old plan superseded", async () => {
    const shop = await shopWithSale();
    const newStart = at("2026-11-25T00:00:00.000Z");
    const edited = await editSale(db().sql, shop.shopId, shop.saleId, { kind: "amount", value: "10.00", skus: ["SKU-1"], startsAt: newStart, createdBy: "staff:bob" }, now);
    expect(edited).toMatchObject({ saleId: shop.saleId, versions: 2, before: { kind: "percent", value: "25.0000", skus: ["SKU-1", "SKU-2"] } });
    expect(await amountAt(shop.shopId, "SKU-1", plus(newStart, -1))).toBe("40.0000");
    expect(await amountAt(shop.shopId, "SKU-1", newStart)).toBe("10.0000");
    expect(await amountAt(shop.shopId, "SKU-1", end)).toBe("40.0000");
    expect(await amountAt(shop.shopId, "SKU-2", start)).toBe("19.9900");
    const [sale] = await salesOf(db().sql, shop.shopId, now);
    expect(sale).toMatchObject({ id: shop.saleId, status: "upcoming", kind: "amount", itemCount: 1 });
    expect(new Date(sale!.startsAt).toISOString()).toBe(newStart.toISOString());
  });

  it("refuses a started, cancelled, unknown or another shop's sale, and a bad edit writes nothing", async () => {
    const shop = await shopWithSale();
    expect((await refusal(cancelSale(db().sql, shop.shopId, shop.saleId, "staff:bob", start))).code).toBe("sale_started");
    expect((await refusal(editSale(db().sql, shop.shopId, shop.saleId, { value: "1", createdBy: "x" }, plus(start, 1)))).code).toBe("sale_started");
    const other = await seedPriceShop(db(), { domain: "other-prices.myshopify.com" });
    expect((await refusal(cancelSale(db().sql, other.shopId, shop.saleId, "staff:eve", now))).code).toBe("sale_not_found");
    const bad = await refusal(editSale(db().sql, shop.shopId, shop.saleId, { endsAt: plus(start, -1), createdBy: "staff:bob" }, now));
    expect(bad.code).toBe("invalid_window");
    expect(await amountAt(shop.shopId, "SKU-1", start)).toBe("30.0000");
    expect((await refusal(editSale(db().sql, shop.shopId, shop.saleId, { skus: ["NOPE"], createdBy: "staff:bob" }, now))).code).toBe("unknown_skus");
    expect(await amountAt(shop.shopId, "SKU-2", start)).toBe("14.9900");
    await cancelSale(db().sql, shop.shopId, shop.saleId, "staff:bob", now);
    expect((await refusal(cancelSale(db().sql, shop.shopId, shop.saleId, "staff:bob", now))).code).toBe("sale_cancelled");
  });
});
