import { describe, expect, it, vi } from "vitest";
import { cancelSale, createSale, historyOf, salesOf, updateSale } from "../../app/prices/sales.server";
import { importPriceCsv } from "../../app/prices/csvImport.server";
import { priceAt } from "../../app/prices/sql/priceAt";
import { schedulePrices } from "../../app/prices/versions.server";
import { useTestDatabase } from "../helpers/database";
import { rejection } from "../helpers/expectations";
import { at, plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000, testTimeout: 120_000 });
const db = useTestDatabase();
const DAY = 86_400_000;
// Edits and cancellations are refused once a sale started by the database's clock: these sales lie ahead.
const start = new Date(Math.ceil((Date.now() + 30 * DAY) / DAY) * DAY);
const end = plus(start, 3 * DAY);

async function shopWithPrices(count = 3, amount = "40.00") {
  const shop = await seedPriceShop(db(), { products: 1, variantsPerProduct: count });
  await schedulePrices(db().sql, shop.shopId, [...shop.variants.values()].map((variantId) => ({ variantId, amount, currency: "USD", validFrom: at("2026-01-01T00:00:00Z") })), { source: "seed", createdBy: "test" });
  return shop;
}

const amountAt = async (shopId: string, sku: string, when: Date) => (await priceAt(db().sql, shopId, "default", [sku], when))[0]?.amount ?? null;
const newSale = (shopId: string, skus: string[]) => createSale(db().sql, shopId, { name: "Winter", skus, kind: "percent", value: "25", startsAt: start, endsAt: end, createdBy: "staff:alice" });

describe("editing and cancelling a sale before it starts", () => {
  it("a cancelled sale never holds: the price before it runs on, its versions stay in the history superseded, it is listed cancelled", async () => {
    const shop = await shopWithPrices(2);
    const { saleId } = await newSale(shop.shopId, ["SKU-1", "SKU-2"]);
    expect(await amountAt(shop.shopId, "SKU-1", start)).toBe("30.0000");
    expect(await cancelSale(db().sql, shop.shopId, saleId, "staff:bob")).toEqual({ saleId, versions: 4 });
    for (const when of [plus(start, -1), start, plus(start, DAY), end, plus(end, DAY)]) expect(await amountAt(shop.shopId, "SKU-1", when)).toBe("40.0000");
    const [current] = await priceAt(db().sql, shop.shopId, "default", ["SKU-2"], start);
    expect(current).toMatchObject({ validFrom: at("2026-01-01T00:00:00Z"), validTo: null, nextBoundary: null });
    const history = await historyOf(db().sql, shop.shopId, "SKU-1");
    expect(history.map((row) => [row.source, row.supersededAt !== null])).toEqual([["seed", false], ["sale", true], ["sale_end", true]]);
    const [listed] = await salesOf(db().sql, shop.shopId, new Date());
    expect(listed).toMatchObject({ id: saleId, status: "cancelled", cancelledBy: "staff:bob" });
    expect((await rejection(cancelSale(db().sql, shop.shopId, saleId, "staff:bob"))).code).toBe("sale_cancelled");
    expect((await rejection(updateSale(db().sql, shop.shopId, saleId, { value: "10" }, "staff:bob"))).code).toBe("sale_cancelled");
  });

  it("an edit re-plans the sale under the same id: new price, new window (later or earlier), items added and removed", async () => {
    const shop = await shopWithPrices(3);
    const { saleId } = await newSale(shop.shopId, ["SKU-1", "SKU-2"]);
    const later = plus(start, DAY);
    await updateSale(db().sql, shop.shopId, saleId, { kind: "amount", value: "35.00", startsAt: later, skus: ["SKU-2", "SKU-3"] }, "staff:carol");
    expect(await amountAt(shop.shopId, "SKU-1", later)).toBe("40.0000");
    expect(await amountAt(shop.shopId, "SKU-2", start)).toBe("40.0000");
    expect(await amountAt(shop.shopId, "SKU-2", later)).toBe("35.0000");
    expect(await amountAt(shop.shopId, "SKU-3", later)).toBe("35.0000");
    expect(await amountAt(shop.shopId, "SKU-3", end)).toBe("40.0000");
    const earlier = plus(start, -DAY);
    const { versions } = await updateSale(db().sql, shop.shopId, saleId, { startsAt: earlier, name: "Winter, early" }, "staff:carol");
    expect(versions).toBe(4);
    expect(await amountAt(shop.shopId, "SKU-2", plus(earlier, -1))).toBe("40.0000");
    expect(await amountAt(shop.shopId, "SKU-2", earlier)).toBe("35.0000");
    const [listed] = await salesOf(db().sql, shop.shopId, new Date());
    expect(listed).toMatchObject({ id: saleId, name: "Winter, early", status: "upcoming", itemCount: 2, kind: "amount", value: "35.0000", startsAt: earlier });
    const history = await historyOf(db().sql, shop.shopId, "SKU-2");
    expect(history.filter((row) => row.saleId === saleId && row.supersededAt === null).map((row) => row.source)).toEqual(["sale", "sale_end"]);
    expect(history.filter((row) => row.saleId === saleId && row.supersededAt !== null)).toHaveLength(4);
  });

  it("refuses a sale that started, an unknown sale, and a bad edit, changing nothing", async () => {
    const shop = await shopWithPrices(1);
    const started = await createSale(db().sql, shop.shopId, { name: "Running", skus: ["SKU-1"], kind: "amount", value: "5.00", startsAt: plus(new Date(), -DAY), endsAt: plus(new Date(), -DAY / 2), createdBy: "staff" });
    const cancelled = await rejection(cancelSale(db().sql, shop.shopId, started.saleId, "staff"));
    expect([cancelled.code, cancelled.status]).toEqual(["sale_started", 409]);
    expect((await rejection(updateSale(db().sql, shop.shopId, started.saleId, { value: "4.00" }, "staff"))).code).toBe("sale_started");
    const unknown = await rejection(cancelSale(db().sql, shop.shopId, "00000000-0000-4000-8000-000000000000", "staff"));
    expect([unknown.code, unknown.status]).toEqual(["unknown_sale", 404]);
    expect((await rejection(cancelSale(db().sql, shop.shopId, "not-a-uuid", "staff"))).code).toBe("unknown_sale");
    const { saleId } = await newSale(shop.shopId, ["SKU-1"]);
    expect((await rejection(updateSale(db().sql, shop.shopId, saleId, { endsAt: plus(start, -1) }, "staff"))).code).toBe("invalid_window");
    expect((await rejection(updateSale(db().sql, shop.shopId, saleId, { skus: ["NOPE"] }, "staff"))).code).toBe("unknown_skus");
    expect((await rejection(updateSale(db().sql, shop.shopId, saleId, { startsAt: plus(new Date(), -1), endsAt: end }, "staff"))).code).toBe("invalid_window");
    expect(await amountAt(shop.shopId, "SKU-1", start)).toBe("30.0000");
    expect((await salesOf(db().sql, shop.shopId, new Date())).find((sale) => sale.id === saleId)).toMatchObject({ status: "upcoming", value: "25.0000" });
  });
});

describe("big writes in chunks", () => {
  it("a sale of 2,500 items (beyond one chunk and the per-item lock limit) is written whole, and refused whole", async () => {
    const shop = await shopWithPrices(2_500, "20.00");
    const skus = [...shop.variants.keys()];
    const { saleId, versions } = await createSale(db().sql, shop.shopId, { name: "Big", skus, kind: "percent", value: "10", startsAt: start, endsAt: end, createdBy: "staff" });
    expect(versions).toBe(5_000);
    const during = await priceAt(db().sql, shop.shopId, "default", skus, start);
    expect(during.filter((row) => row.amount === "18.0000")).toHaveLength(2_500);
    // One overlapping item refuses the whole second sale: nothing of it written.
    const overlap = await rejection(createSale(db().sql, shop.shopId, { name: "Clash", skus, kind: "amount", value: "1.00", startsAt: plus(start, DAY), endsAt: plus(end, DAY), createdBy: "staff" }));
    expect(overlap.code).toBe("price_overlap");
    expect((await salesOf(db().sql, shop.shopId, new Date())).map((sale) => sale.name)).toEqual(["Big"]);
    await cancelSale(db().sql, shop.shopId, saleId, "staff");
    expect((await priceAt(db().sql, shop.shopId, "default", skus, start)).every((row) => row.amount === "20.0000")).toBe(true);
  });

  it("an import of 1,500 rows with one overlap names its line and applies nothing", async () => {
    const shop = await shopWithPrices(1_500, "20.00");
    const from = start.toISOString();
    const to = end.toISOString();
    const lines = [...shop.variants.keys()].map((sku) => `${sku},15.00,USD,${from},${to}`);
    lines.push(`SKU-1200,14.00,USD,${plus(start, DAY).toISOString()},${to}`);
    const refused = await rejection(importPriceCsv(db().sql, shop.shopId, ["sku,amount,currency,valid_from,valid_to", ...lines].join("\n"), { createdBy: "staff" }));
    expect(refused.code).toBe("import_refused");
    expect((refused.details as { rows: Array<{ line: number; code: string }> }).rows.map((row) => [row.line, row.code])).toEqual([[1_502, "price_overlap"]]);
    expect(await amountAt(shop.shopId, "SKU-1200", start)).toBe("20.0000");
    expect(await importPriceCsv(db().sql, shop.shopId, ["sku,amount,currency,valid_from,valid_to", ...lines.slice(0, -1)].join("\n"), { createdBy: "staff" })).toEqual({ versions: 1_500 });
    expect(await amountAt(shop.shopId, "SKU-1200", start)).toBe("15.0000");
  });
});
