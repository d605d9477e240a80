import { describe, expect, it, vi } from "vitest";
import { adapterRegistry } from "../../app/batching/adapters";
import { createDestination, loadDestination, requestRun, updateDestination } from "../../app/batching/destinations.server";
import { runDueDestination } from "../../app/batching/runs.server";
import type { DestinationAdapter, PushedItem } from "../../app/batching/types";
import { createPriceActivator } from "../../app/prices/activator.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { useTestDatabase } from "../helpers/database";
import { until } from "../helpers/expectations";
import { plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const ENCRYPTION_KEY = "test-encryption-key-for-price-lists";

/** An ERP destination kind that records what each destination (by name) was sent. */
function recordingAdapter() {
  const received: Array<{ destination: string; kind: string; sku: string; price: string }> = [];
  const adapter: DestinationAdapter = {
    kind: "erp_http",
    delivery: "delta",
    parseOptions: (raw) => (raw ?? {}) as Record<string, unknown>,
    validate: () => [],
    stateOf: (item) => ({ price: item.kind === "stock" ? null : item.price }),
    async publish(run, pages) {
      for await (const page of pages) {
        received.push(...page.map((item: PushedItem) => ({ destination: run.destination.name, kind: item.kind, sku: item.sku, price: item.kind === "stock" ? "" : item.price })));
        await run.report(page.map((item) => ({ kind: run.kind, sku: item.sku, outcome: "accepted" as const })));
      }
      return { files: [] };
    },
    readBack: async (_destination, kind, skus) => skus.map((sku) => ({ kind, sku, state: undefined })),
    testConnection: async () => ({ ok: true, message: "memory" }),
  };
  return { adapter, received };
}

describe("named price lists reach the delayed destinations", () => {
  it("a named-list activation is captured with its list and reaches the destination on that list, not the one on the store's list", async () => {
    const shop = await seedPriceShop(db(), { products: 1, variantsPerProduct: 3 });
    const { adapter, received } = recordingAdapter();
    const deps = { sql: db().sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter]) };
    const destination = (name: string, options: Record<string, unknown>, receives: Array<"catalog" | "price"> = ["price"]) =>
      createDestination(deps, shop.shopId, { name, kind: "erp_http", endpoint: "http://127.0.0.1:9/erp", receives, mode: "live", options });
    const b2bErp = await destination("B2B ERP", { priceList: "b2b" }, ["catalog", "price"]);
    const storeErp = await destination("Store ERP", {});
    expect((await loadDestination(deps, b2bErp.id)).priceList).toBe("b2b");
    expect((await loadDestination(deps, b2bErp.id)).options).toEqual({});
    expect((await loadDestination(deps, storeErp.id)).priceList).toBeUndefined();

    const validFrom = plus(new Date(), -1);
    const variants = [...shop.variants.values()];
    const plan = (list: string, amount: string, items = variants) =>
      schedulePrices(db().sql, shop.shopId, items.map((variantId) => ({ variantId, list, amount, currency: "USD", validFrom })), { source: "staff", createdBy: "test" });
    await plan("default", "20.00");
    // SKU-3 has no B2B price: a B2B destination never hears of it.
    await plan("b2b", "15.50", variants.slice(0, 2));
    await plan("amazon", "21.00");
    const activator = createPriceActivator({ sql: db().sql, workerId: "w", push: async () => undefined, pushList: async () => undefined });
    await until(async () => (await activator.runOnce()) === 0, { what: "every activation run" });

    const captured = await db().sql.query<{ list: string; n: number }>(
      `SELECT price_list AS list, count(*)::int AS n FROM change_record WHERE shop_id = $1 AND kind = 'price' AND source = 'price_activation' GROUP BY price_list ORDER BY price_list`,
      [shop.shopId],
    );
    expect(captured).toEqual([
      { list: "amazon", n: 3 },
      { list: "b2b", n: 2 },
      { list: "default", n: 3 },
    ]);

    // The first (full) runs: each destination every item priced on its list.
    for (let i = 0; i < 2; i++) expect((await runDueDestination({ ...deps, owner: "test" }))?.status).toBe("succeeded");
    const sentTo = (name: string, kind = "price") => received.filter((item) => item.destination === name && item.kind === kind).map((item) => `${item.sku}:${item.price}`).sort();
    expect(sentTo("B2B ERP")).toEqual(["SKU-1:15.5000", "SKU-2:15.5000"]);
    // Its catalog items carry the list's price; an item the list holds none for, the store's (as BigCommerce falls back to the catalog price).
    expect(sentTo("B2B ERP", "catalog")).toEqual(["SKU-1:15.5000", "SKU-2:15.5000", "SKU-3:20.0000"]);
    expect(sentTo("Store ERP")).toEqual(["SKU-1:20.0000", "SKU-2:20.0000", "SKU-3:20.0000"]);

    // A delta: a new B2B price reaches the B2B destination only; a store price the store's only.
    received.length = 0;
    const next = plus(new Date(), -1);
    await schedulePrices(db().sql, shop.shopId, [{ variantId: variants[0]!, list: "b2b", amount: "14.00", currency: "USD", validFrom: next }], { source: "staff", createdBy: "test" });
    await schedulePrices(db().sql, shop.shopId, [{ variantId: variants[2]!, list: "default", amount: "19.00", currency: "USD", validFrom: next }], { source: "staff", createdBy: "test" });
    await until(async () => (await activator.runOnce()) === 0, { what: "the new activations run" });
    await requestRun(db().sql, shop.shopId, b2bErp.id, "sync_now");
    await requestRun(db().sql, shop.shopId, storeErp.id, "sync_now");
    const outcomes = [await runDueDestination({ ...deps, owner: "test" }), await runDueDestination({ ...deps, owner: "test" })];
    expect(outcomes.map((outcome) => outcome?.status)).toEqual(["succeeded", "succeeded"]);
    const changesIn = new Map(outcomes.map((outcome) => [outcome!.destinationId, outcome!.signed!.manifest.counts.changesIn]));
    expect(sentTo("B2B ERP")).toEqual(["SKU-1:14.0000"]);
    expect(sentTo("Store ERP")).toEqual(["SKU-3:19.0000"]);
    expect(changesIn.get(b2bErp.id)).toBe(1);
    expect(changesIn.get(storeErp.id)).toBe(1);

    // Back to the store's list (`default` is stored as no option at all): it holds B2B prices, so a full run is asked.
    expect((await updateDestination(deps, shop.shopId, b2bErp.id, { name: "B2B ERP" })).requestedRun).toBeNull();
    const moved = await updateDestination(deps, shop.shopId, b2bErp.id, { options: { priceList: "default" } });
    expect(moved.options).toEqual({});
    expect(moved.requestedRun).toBe("full");
    expect((await loadDestination(deps, b2bErp.id)).priceList).toBeUndefined();
  });

  it("refuses a price list option that is not a list name, writing nothing", async () => {
    const shop = await seedPriceShop(db(), { products: 1, variantsPerProduct: 1 });
    const { adapter } = recordingAdapter();
    const deps = { sql: db().sql, encryptionKey: ENCRYPTION_KEY, adapters: adapterRegistry([adapter]) };
    const input = { name: "Bad list", kind: "erp_http", endpoint: "http://127.0.0.1:9/erp", receives: ["price"] };
    for (const priceList of ["b2b list!", "", 42, "x".repeat(65)]) {
      await expect(createDestination(deps, shop.shopId, { ...input, options: { priceList } })).rejects.toMatchObject({ code: "invalid_destination", status: 400, details: { field: "options.priceList" } });
    }
    const created = await createDestination(deps, shop.shopId, { ...input, options: { priceList: "b2b" } });
    await expect(updateDestination(deps, shop.shopId, created.id, { options: { priceList: "no such/list" } })).rejects.toMatchObject({ code: "invalid_destination" });
    expect((await loadDestination(deps, created.id)).priceList).toBe("b2b");
    const rows = await db().sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM destination WHERE shop_id = $1`, [shop.shopId]);
    expect(rows[0]!.n).toBe(1);
  });
});
