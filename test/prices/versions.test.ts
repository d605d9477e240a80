import { describe, expect, it, vi } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { formatAmount, schedulePrices } from "../../app/prices/versions.server";
import { priceAt } from "../../app/prices/sql/priceAt";
import { useTestDatabase } from "../helpers/database";
import { at, plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const staff = { source: "staff" as const, createdBy: "staff:alice" };

async function refusal(work: Promise<unknown>): Promise<LockstepError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LockstepError);
  return error as LockstepError;
}

async function versionsOf(variantId: string) {
  return db().sql.query<{ amount: string; validFrom: Date; validTo: Date | null; supersededAt: Date | null }>(
    `SELECT amount::text, valid_from AS "validFrom", valid_to AS "validTo", superseded_at AS "supersededAt" FROM price_version WHERE variant_id = $1 ORDER BY id`,
    [variantId],
  );
}

describe("price versions: the overlap rule", () => {
  it("refuses a version that overlaps a bounded one, with the clashing version named, and writes nothing", async () => {
    const shop = await seedPriceShop(db());
    const id = shop.variants.get("SKU-1")!;
    await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "10.00", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") }], staff);
    const [sale] = await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "8.00", currency: "USD", validFrom: at("2026-02-01T00:00:00Z"), validTo: at("2026-02-10T00:00:00Z") }], staff);
    const before = await versionsOf(id);

    const error = await refusal(
      schedulePrices(db().sql, shop.shopId, [
        { variantId: shop.variants.get("SKU-2")!, amount: "5.00", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") },
        { variantId: id, amount: "7.00", currency: "USD", validFrom: at("2026-02-05T00:00:00Z"), validTo: at("2026-02-20T00:00:00Z") },
      ], staff),
    );
    expect(error).toMatchObject({ code: "price_overlap", status: 409, details: { conflictingVersion: sale } });
    expect(error.message).toMatch(/may not overlap/);
    expect(await versionsOf(id)).toEqual(before);
    expect(await versionsOf(shop.variants.get("SKU-2")!)).toEqual([]);
  });

  it("the database refuses an overlapping row whoever writes it (the trigger, not only the service)", async () => {
    const shop = await seedPriceShop(db());
    const id = shop.variants.get("SKU-1")!;
    await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "10.00", currency: "USD", validFrom: at("2026-01-01T00:00:00Z"), validTo: at("2026-01-31T00:00:00Z") }], staff);
    const insert = (from: string, to: string | null, list = "default") =>
      db().sql.query(
        `INSERT INTO price_version (shop_id, variant_id, list, amount, currency, valid_from, valid_to, source, created_by) VALUES ($1, $2, $5, 1, 'USD', $3, $4, 'staff', 'sql')`,
        [shop.shopId, id, from, to, list],
      );
    await expect(insert("2026-01-30T23:59:59.999Z", null)).rejects.toMatchObject({ code: "23P01" });
    // Half-open ranges: one version may start the very millisecond the other ends; another list is independent.
    await expect(insert("2026-01-31T00:00:00Z", "2026-02-01T00:00:00Z")).resolves.toEqual([]);
    await expect(insert("2026-01-15T00:00:00Z", null, "b2b")).resolves.toEqual([]);
    await expect(
      db().sql.query(`UPDATE price_version SET valid_to = '2026-01-31T00:00:00.001Z' WHERE variant_id = $1 AND valid_from = '2026-01-01T00:00:00Z'`, [id]),
    ).rejects.toMatchObject({ code: "23P01" });
  });

  it("refuses bad amounts, currencies and ranges before the database with a clear 400", async () => {
    const shop = await seedPriceShop(db());
    const id = shop.variants.get("SKU-1")!;
    const base = { variantId: id, currency: "USD", validFrom: at("2026-01-01T00:00:00Z") };
    expect(await refusal(schedulePrices(db().sql, shop.shopId, [{ ...base, amount: "-1.00" }], staff))).toMatchObject({ code: "invalid_amount", status: 400 });
    expect(await refusal(schedulePrices(db().sql, shop.shopId, [{ ...base, amount: "1e3" }], staff))).toMatchObject({ code: "invalid_amount" });
    expect(await refusal(schedulePrices(db().sql, shop.shopId, [{ ...base, amount: "1.00", currency: "usd" }], staff))).toMatchObject({ code: "invalid_currency" });
    expect(await refusal(schedulePrices(db().sql, shop.shopId, [{ ...base, amount: "1.00", validTo: base.validFrom }], staff))).toMatchObject({ code: "invalid_valid_to" });
    await expect(
      db().sql.query(`INSERT INTO price_version (shop_id, variant_id, amount, currency, valid_from, source, created_by) VALUES ($1, $2, -1, 'USD', now(), 'staff', 'sql')`, [shop.shopId, id]),
    ).rejects.toMatchObject({ code: "23514" });
    expect(await versionsOf(id)).toEqual([]);
  });
});

describe("price versions: SCD2 history", () => {
  it("a change closes the current row and opens a new one; nothing is overwritten", async () => {
    const shop = await seedPriceShop(db());
    const id = shop.variants.get("SKU-1")!;
    const t0 = at("2026-03-01T00:00:00Z");
    const t1 = at("2026-03-05T12:00:00Z");
    await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "20.00", currency: "EUR", validFrom: t0 }], staff);
    await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "22.50", currency: "EUR", compareAt: "25.00", validFrom: t1 }], staff);
    expect(await versionsOf(id)).toEqual([
      { amount: "20.0000", validFrom: t0, validTo: t1, supersededAt: null },
      { amount: "22.5000", validFrom: t1, validTo: null, supersededAt: null },
    ]);
  });

  it("the price at T is one query, exact to the millisecond at t − 1 ms, t and t + 1 ms", async () => {
    const shop = await seedPriceShop(db());
    const id = shop.variants.get("SKU-1")!;
    const t = at("2026-04-01T00:00:00Z");
    const end = at("2026-04-03T00:00:00Z");
    await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "30.00", currency: "USD", validFrom: at("2026-01-01T00:00:00Z") }], staff);
    const [sale] = await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "24.00", currency: "USD", compareAt: "30.00", validFrom: t, validTo: end }], staff);
    const price = async (when: Date) => (await priceAt(db().sql, shop.shopId, "default", ["SKU-1"], when))[0];

    expect(await price(plus(t, -1))).toMatchObject({ amount: "30.0000", nextBoundary: t });
    expect(await price(t)).toMatchObject({ amount: "24.0000", compareAt: "30.0000", version: sale, validFrom: t, validTo: end, nextBoundary: end });
    expect(await price(plus(t, 1))).toMatchObject({ amount: "24.0000", version: sale });
    // Before any version: the SKU is known, without a price, and the boundary says when it gets one.
    expect(await price(at("2025-12-31T23:59:59.999Z"))).toMatchObject({ amount: null, nextBoundary: at("2026-01-01T00:00:00Z") });
    expect(await priceAt(db().sql, shop.shopId, "default", ["NOPE"], t)).toEqual([]);
  });

  it("an open version planned before a later one runs until that one starts", async () => {
    const shop = await seedPriceShop(db());
    const id = shop.variants.get("SKU-1")!;
    await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "5.00", currency: "USD", validFrom: at("2026-06-01T00:00:00Z") }], staff);
    await schedulePrices(db().sql, shop.shopId, [{ variantId: id, amount: "4.00", currency: "USD", validFrom: at("2026-05-01T00:00:00Z") }], staff);
    expect(await versionsOf(id)).toEqual([
      { amount: "5.0000", validFrom: at("2026-06-01T00:00:00Z"), validTo: null, supersededAt: null },
      { amount: "4.0000", validFrom: at("2026-05-01T00:00:00Z"), validTo: at("2026-06-01T00:00:00Z"), supersededAt: null },
    ]);
  });

  it("formats amounts as decimal strings without floats", () => {
    expect(formatAmount("19.9000")).toBe("19.90");
    expect(formatAmount("0.1250")).toBe("0.125");
    expect(formatAmount("12345678901.0000")).toBe("12345678901.00");
    expect(formatAmount(null)).toBeNull();
  });
});
