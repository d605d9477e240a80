import { describe, expect, it, vi } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { seedDemoShop } from "../../app/demo/seed.server";
import { createSale, historyOf, salesOf } from "../../app/prices/sales.server";
import { priceAt } from "../../app/prices/sql/priceAt";
import { recordStorePrice } from "../../app/prices/storeEdits.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { useTestDatabase } from "../helpers/database";
import { at, plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const start = at("2026-11-27T00:00:00.000Z");
const end = at("2026-11-30T00:00:00.000Z");

async function shopWithPrices(amounts: Record<string, string> = { "SKU-1": "40.00", "SKU-2": "19.99" }) {
  const shop = await seedPriceShop(db());
  await schedulePrices(
    db().sql,
    shop.shopId,
    Object.entries(amounts).map(([sku, amount]) => ({ variantId: shop.variants.get(sku)!, amount, currency: "USD", validFrom: at("2026-01-01T00:00:00Z") })),
    { source: "seed", createdBy: "test" },
  );
  return shop;
}

const amountAt = async (shopId: string, sku: string, when: Date) => (await priceAt(db().sql, shopId, "default", [sku], when))[0]?.amount ?? null;
const storeEdit = (shopId: string, variant: number, price: string, changedAt: Date) =>
  db().sql.transaction((tx) => recordStorePrice(tx, { shopId, variantExternalId: `gid://shopify/ProductVariant/${variant}`, price, changedAt }));

async function refusal(work: Promise<unknown>): Promise<LockstepError> {
  const error = await work.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(LockstepError);
  return error as LockstepError;
}

describe("scheduled sales", () => {
  it("a percentage sale runs [start, end) and its end restores the price from before, to the millisecond", async () => {
    const shop = await shopWithPrices();
    const { versions } = await createSale(db().sql, shop.shopId, { name: "Black Friday", skus: ["SKU-1", "SKU-2"], kind: "percent", value: "25", startsAt: start, endsAt: end, createdBy: "staff:alice" });
    expect(versions).toBe(4);
    expect(await amountAt(shop.shopId, "SKU-1", plus(start, -1))).toBe("40.0000");
    expect(await amountAt(shop.shopId, "SKU-1", start)).toBe("30.0000");
    expect(await amountAt(shop.shopId, "SKU-2", plus(start, 1))).toBe("14.9900");
    expect(await amountAt(shop.shopId, "SKU-2", plus(end, -1))).toBe("14.9900");
    expect(await amountAt(shop.shopId, "SKU-2", end)).toBe("19.9900");
    expect(await amountAt(shop.shopId, "SKU-2", plus(end, 1))).toBe("19.9900");
    const [during] = await priceAt(db().sql, shop.shopId, "default", ["SKU-1"], start);
    expect(during).toMatchObject({ compareAt: "40.0000", validTo: end });
  });

  it("lists upcoming, active and ended sales, and an item's history with every version", async () => {
    const shop = await shopWithPrices();
    const sale = (name: string, from: string, to: string, sku: string) => createSale(db().sql, shop.shopId, { name, skus: [sku], kind: "amount", value: "5.00", startsAt: at(from), endsAt: at(to), createdBy: "staff:bob" });
    await sale("Old", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "SKU-1");
    await sale("Now", "2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z", "SKU-1");
    await sale("Later", "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z", "SKU-2");
    const sales = await salesOf(db().sql, shop.shopId, at("2026-03-05T00:00:00Z"));
    expect(sales.map((s) => [s.name, s.status, s.itemCount])).toEqual([["Later", "upcoming", 1], ["Now", "active", 1], ["Old", "ended", 1]]);
    const history = await historyOf(db().sql, shop.shopId, "SKU-1");
    expect(history.map((row) => [row.amount, row.source, row.validFrom.toISOString(), row.validTo?.toISOString() ?? null])).toEqual([
      ["40.0000", "seed", "2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
      ["5.0000", "sale", "2026-02-01T00:00:00.000Z", "2026-02-02T00:00:00.000Z"],
      ["40.0000", "sale_end", "2026-02-02T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
      ["5.0000", "sale", "2026-03-01T00:00:00.000Z", "2026-03-10T00:00:00.000Z"],
      ["40.0000", "sale_end", "2026-03-10T00:00:00.000Z", null],
    ]);
    expect(history.every((row) => row.activation === "pending")).toBe(true);
  });

  it("refuses unknown SKUs, items without a price at the start, overlaps and bad values, writing nothing", async () => {
    const shop = await shopWithPrices({ "SKU-1": "10.00" });
    const base = { name: "S", kind: "amount" as const, value: "5.00", startsAt: start, endsAt: end, createdBy: "staff" };
    expect(await refusal(createSale(db().sql, shop.shopId, { ...base, skus: ["SKU-1", "NOPE"] }))).toMatchObject({ code: "unknown_skus", status: 400, details: { skus: ["NOPE"] } });
    expect(await refusal(createSale(db().sql, shop.shopId, { ...base, skus: ["SKU-2"] }))).toMatchObject({ code: "no_price_at_start", status: 409 });
    expect(await refusal(createSale(db().sql, shop.shopId, { ...base, skus: ["SKU-1"], kind: "percent", value: "120" }))).toMatchObject({ code: "invalid_percent" });
    expect(await refusal(createSale(db().sql, shop.shopId, { ...base, skus: ["SKU-1"], endsAt: start }))).toMatchObject({ code: "invalid_window" });
    expect(await refusal(createSale(db().sql, shop.shopId, { ...base, skus: ["SKU-1"], value: "-3" }))).toMatchObject({ code: "invalid_amount" });
    await createSale(db().sql, shop.shopId, { ...base, skus: ["SKU-1"] });
    expect(await refusal(createSale(db().sql, shop.shopId, { ...base, skus: ["SKU-1"], startsAt: plus(start, 3_600_000), endsAt: plus(end, 3_600_000) }))).toMatchObject({ code: "price_overlap", status: 409 });
    expect(await salesOf(db().sql, shop.shopId, start)).toHaveLength(1);
  });
});

describe("race-free promos: prices the store reports", () => {
  it("our own push coming back is an echo: nothing new in the history", async () => {
    const shop = await shopWithPrices({ "SKU-1": "40.00" });
    expect(await storeEdit(shop.shopId, 1, "40.0", at("2026-05-01T00:00:00Z"))).toBe("echo");
    expect(await historyOf(db().sql, shop.shopId, "SKU-1")).toHaveLength(1);
  });

  it("a staff edit from before the sale, delivered after it started, never overwrites the sale (and the end restores the edit)", async () => {
    const shop = await shopWithPrices({ "SKU-1": "40.00" });
    await createSale(db().sql, shop.shopId, { name: "BF", skus: ["SKU-1"], kind: "amount", value: "25.00", startsAt: start, endsAt: end, createdBy: "staff" });
    const editedAt = plus(start, -60_000);
    expect(await storeEdit(shop.shopId, 1, "42.00", editedAt)).toBe("recorded");
    // History is right about the minute before the sale, the sale is untouched, and its end brings the newest base back.
    expect(await amountAt(shop.shopId, "SKU-1", plus(editedAt, -1))).toBe("40.0000");
    expect(await amountAt(shop.shopId, "SKU-1", editedAt)).toBe("42.0000");
    expect(await amountAt(shop.shopId, "SKU-1", start)).toBe("25.0000");
    expect(await amountAt(shop.shopId, "SKU-1", plus(end, -1))).toBe("25.0000");
    expect(await amountAt(shop.shopId, "SKU-1", end)).toBe("42.0000");
    // An even older edit arriving later still: it fits before the newer one and changes nothing after it.
    expect(await storeEdit(shop.shopId, 1, "41.00", plus(editedAt, -60_000))).toBe("recorded");
    expect(await amountAt(shop.shopId, "SKU-1", editedAt)).toBe("42.0000");
    expect(await amountAt(shop.shopId, "SKU-1", end)).toBe("42.0000");
  });

  it("a staff edit during the sale is a new version that holds from then on and survives the sale's end", async () => {
    const shop = await shopWithPrices({ "SKU-1": "40.00", "SKU-2": "20.00" });
    await createSale(db().sql, shop.shopId, { name: "BF", skus: ["SKU-1", "SKU-2"], kind: "percent", value: "50", startsAt: start, endsAt: end, createdBy: "staff" });
    const editedAt = plus(start, 3_600_000);
    expect(await storeEdit(shop.shopId, 1, "35.00", editedAt)).toBe("recorded");
    expect(await amountAt(shop.shopId, "SKU-1", plus(editedAt, -1))).toBe("20.0000");
    expect(await amountAt(shop.shopId, "SKU-1", editedAt)).toBe("35.0000");
    expect(await amountAt(shop.shopId, "SKU-1", end)).toBe("35.0000");
    // The other item keeps its sale and its planned end.
    expect(await amountAt(shop.shopId, "SKU-2", editedAt)).toBe("10.0000");
    expect(await amountAt(shop.shopId, "SKU-2", end)).toBe("20.0000");
    // Nothing was deleted: the planned end that restored 40.00 is kept, superseded, with its activation skipped at its turn.
    const history = await historyOf(db().sql, shop.shopId, "SKU-1");
    expect(history.filter((row) => row.source === "sale_end").map((row) => [row.amount, row.supersededAt === null])).toEqual([
      ["40.0000", false],
      ["35.0000", true],
    ]);
  });
});

describe("the demo", () => {
  it("seeds the demo shop's prices and one scheduled sale", async () => {
    const now = at("2026-12-02T12:00:00.000Z");
    const { shop } = await seedDemoShop(db().prisma, { apiToken: "lst_demo_prices_token_0123456789abcdef", now, sql: db().sql });
    expect(await amountAt(shop.id, "SPORK-TI", now)).toBe("12.0000");
    const sales = await salesOf(db().sql, shop.id, now);
    expect(sales).toMatchObject([{ name: "Merino weekend", status: "upcoming", itemCount: 3, kind: "percent" }]);
    expect(await amountAt(shop.id, "MERINO-M", sales[0]!.startsAt)).toBe("63.2000");
  });
});
