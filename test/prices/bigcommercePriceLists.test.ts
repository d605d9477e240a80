import { afterAll, describe, expect, it, vi } from "vitest";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { createBigCommerceClient } from "../../app/platforms/bigcommerce/client.server";
import { createPriceActivator } from "../../app/prices/activator.server";
import { mapPriceList } from "../../app/prices/priceLists.server";
import { bigCommercePriceListPush } from "../../app/prices/storePush.server";
import { schedulePrices } from "../../app/prices/versions.server";
import { useTestDatabase } from "../helpers/database";
import { until } from "../helpers/expectations";
import { useBigCommerceSimulator } from "../helpers/simulators";
import { requestErrors, responseErrors } from "../simulators/bigcommerceOpenApi";
import { plus, seedPriceShop } from "./priceFixture";

// Migrating an embedded database takes over a minute on a loaded machine.
vi.setConfig({ hookTimeout: 180_000 });
const db = useTestDatabase();
const { sim } = useBigCommerceSimulator();
const registry = createLimiterRegistry();
afterAll(() => registry.close());
const TOKEN = "bc_price_lists";

let stores = 0;
/** A simulated store with `variants` variants of one product and a generous quota. */
function store(variants: number) {
  const storeHash = `pl${++stores}${Date.now().toString(36)}`;
  const bc = sim().addStore({ storeHash, accessToken: TOKEN, quota: { requests: 10_000, windowMs: 30_000 } });
  const product = bc.addProduct("Shirt", Array.from({ length: variants }, (_, i) => ({ sku: `SKU-${i + 1}`, price: 20 })));
  return { storeHash, bc, variantIds: product.variantIds };
}

async function call(storeHash: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${sim().url}/stores/${storeHash}${path}`, {
    method,
    headers: { "X-Auth-Token": TOKEN, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe("BigCommerce simulator: price lists, as price_lists.v3.yml describes them", () => {
  it("creates, lists and reads price lists and upserts and reads their records, each answer conforming to the spec with the quota headers", async () => {
    const { storeHash, bc, variantIds } = store(2);
    const created = await call(storeHash, "POST", "/v3/pricelists", { name: "B2B", active: true });
    expect(requestErrors("POST", "/v3/pricelists", { name: "B2B", active: true })).toEqual([]);
    expect(created.status).toBe(200);
    expect(responseErrors("POST", "/v3/pricelists", 200, created.body)).toEqual([]);
    const id = (created.body.data as { id: number }).id;
    for (const path of ["/v3/pricelists", `/v3/pricelists/${id}`]) {
      const read = await call(storeHash, "GET", path);
      expect(read.status).toBe(200);
      expect(responseErrors("GET", path, 200, read.body)).toEqual([]);
    }
    const records = [
      { variant_id: variantIds[0], currency: "eur", price: 15.5, retail_price: 18 },
      { sku: "SKU-2", currency: "EUR", price: 14 },
    ];
    expect(requestErrors("PUT", `/v3/pricelists/${id}/records`, records)).toEqual([]);
    const upserted = await call(storeHash, "PUT", `/v3/pricelists/${id}/records`, records);
    expect(upserted.status).toBe(200);
    expect(responseErrors("PUT", `/v3/pricelists/${id}/records`, 200, upserted.body)).toEqual([]);
    expect(Number(upserted.headers.get("x-rate-limit-requests-quota"))).toBe(10_000);
    expect(Number(upserted.headers.get("x-rate-limit-requests-left"))).toBeLessThan(10_000);
    expect(upserted.headers.get("x-rate-limit-time-window-ms")).toBe("30000");
    expect(upserted.headers.get("x-rate-limit-time-reset-ms")).not.toBeNull();
    const listed = await call(storeHash, "GET", `/v3/pricelists/${id}/records?variant_id:in=${variantIds[0]}`);
    expect(responseErrors("GET", `/v3/pricelists/${id}/records`, 200, listed.body)).toEqual([]);
    expect(listed.body.data).toMatchObject([{ price_list_id: id, variant_id: variantIds[0], sku: "SKU-1", currency: "eur", price: 15.5, retail_price: 18 }]);
    expect(bc.priceLists.record(id, variantIds[1]!, "eur")).toMatchObject({ price: 14, sku: "SKU-2" });
  });

  it("answers bad requests as BigCommerce does: 404 unknown list, 409 duplicate name, 422 invalid list or batch, 400 broken JSON", async () => {
    const { storeHash, bc, variantIds } = store(1);
    const list = bc.priceLists.add("Wholesale");
    const missing = await call(storeHash, "GET", "/v3/pricelists/999");
    // The spec documents no 404 here; BigCommerce answers its usual error body.
    expect(missing).toMatchObject({ status: 404, body: { status: 404, title: "Price List not found", errors: {} } });
    expect((await call(storeHash, "PUT", "/v3/pricelists/999/records", [])).status).toBe(404);
    const duplicate = await call(storeHash, "POST", "/v3/pricelists", { name: "Wholesale" });
    expect(duplicate.status).toBe(409);
    expect(responseErrors("POST", "/v3/pricelists", 409, duplicate.body)).toEqual([]);
    const nameless = await call(storeHash, "POST", "/v3/pricelists", { active: true });
    expect(nameless).toMatchObject({ status: 422, body: { status: 422, errors: { name: "name is required" } } });
    expect(responseErrors("POST", "/v3/pricelists", 422, nameless.body)).toEqual([]);
    expect((await call(storeHash, "PUT", `/v3/pricelists/${list.id}/records`, "{not json")).status).toBe(400);
    const tooMany = Array.from({ length: 1_001 }, () => ({ variant_id: variantIds[0], currency: "usd", price: 1 }));
    expect((await call(storeHash, "PUT", `/v3/pricelists/${list.id}/records`, tooMany)).status).toBe(422);
    expect((await call(storeHash, "PUT", `/v3/pricelists/${list.id}/records`, [])).status).toBe(422);
    // A batch with bad records: those are reported per record (batch_errors), the good one is applied.
    const batch = await call(storeHash, "PUT", `/v3/pricelists/${list.id}/records`, [
      { variant_id: variantIds[0], currency: "usd", price: 9 },
      { variant_id: 424242, currency: "usd", price: 9 },
      { variant_id: variantIds[0], currency: "dollars", price: -1 },
    ]);
    expect(batch.status).toBe(422);
    expect(responseErrors("PUT", `/v3/pricelists/${list.id}/records`, 422, batch.body)).toEqual([]);
    expect(batch.body.batch_errors).toEqual([
      { data: { price_list_id: list.id, variant_id: 424242, currency: "usd" }, field_errors: { variant_id: "Variant 424242 does not exist" } },
      { data: { price_list_id: list.id, variant_id: variantIds[0], currency: "dollars" }, field_errors: { currency: "currency is required: a 3-letter ISO-4217 code", price: "price is required: a number not below 0" } },
    ]);
    expect(bc.priceLists.record(list.id, variantIds[0]!, "usd")?.price).toBe(9);
    expect(bc.priceLists.records.size).toBe(1);
  });

  it("answers 429 to a third batch upsert while two are running, with the quota headers", async () => {
    const { storeHash, bc, variantIds } = store(1);
    const list = bc.priceLists.add("Busy");
    const body = [{ variant_id: variantIds[0], currency: "usd", price: 3 }];
    // Two upserts held while BigCommerce works on them; a third meanwhile is refused.
    let release: () => void = () => undefined;
    bc.priceLists.upsertGate = new Promise<void>((resolve) => (release = resolve));
    const held = [call(storeHash, "PUT", `/v3/pricelists/${list.id}/records`, body), call(storeHash, "PUT", `/v3/pricelists/${list.id}/records`, body)];
    await until(() => bc.priceLists.upsertsRunning === 2, { what: "two upserts running" });
    const third = await call(storeHash, "PUT", `/v3/pricelists/${list.id}/records`, body);
    release();
    const answers = [...(await Promise.all(held)), third];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(refused.body).toMatchObject({ status: 429, title: "Too many requests" });
    expect(refused.headers.get("x-rate-limit-requests-left")).not.toBeNull();
    expect(bc.priceLists.concurrentUpsertsRefused).toBe(1);
  });
});

describe("named price lists land in the simulated BigCommerce store", () => {
  it("a version of a mapped list is pushed as that price list's record when it starts; the store's catalog price is left alone", async () => {
    const { storeHash, bc, variantIds } = store(3);
    const priceList = bc.priceLists.add("B2B");
    const shop = await seedPriceShop(db(), { products: 1, variantsPerProduct: 3, platform: "bigcommerce", domain: `stores/${storeHash}` });
    // The catalog as the backfill reads it: the store's variant ids.
    for (const [i, variantId] of variantIds.entries()) await db().sql.query(`UPDATE variant SET external_id = $1 WHERE shop_id = $2 AND sku = $3`, [String(variantId), shop.shopId, `SKU-${i + 1}`]);
    await mapPriceList(db().sql, shop.shopId, "b2b", priceList.id);
    const validFrom = plus(new Date(), -1);
    await schedulePrices(
      db().sql,
      shop.shopId,
      [...shop.variants.values()].map((variantId, i) => ({ variantId, list: "b2b", amount: (15 + i).toFixed(2), currency: "EUR", compareAt: i === 0 ? "19.99" : null, validFrom })),
      { source: "staff", createdBy: "test" },
    );
    const client = createBigCommerceClient({ storeHash, accessToken: TOKEN, registry, baseUrl: sim().url });
    const storePushes: unknown[] = [];
    const activator = createPriceActivator({ sql: db().sql, workerId: "w", push: async (...args) => void storePushes.push(args), pushList: bigCommercePriceListPush(async () => client) });
    await until(async () => (await activator.runOnce()) === 0, { what: "every activation run" });
    expect(variantIds.map((variantId) => bc.priceLists.record(priceList.id, variantId, "eur")?.price)).toEqual([15, 16, 17]);
    expect(bc.priceLists.record(priceList.id, variantIds[0]!, "eur")?.retail_price).toBe(19.99);
    expect(storePushes).toEqual([]);
    expect([...bc.variants.values()].map((variant) => variant.price)).toEqual([20, 20, 20]);
    const outcomes = await db().sql.query<{ outcome: string; state: string }>(`SELECT outcome, state FROM price_activation WHERE shop_id = $1`, [shop.shopId]);
    expect(outcomes.every((row) => row.state === "done" && row.outcome === "bigcommerce_price_list")).toBe(true);
  });

  it("a list of 2,500 records goes 1,000 a call, one call at a time: nothing refused for running a third upsert", async () => {
    const { storeHash, bc, variantIds } = store(2_500);
    const priceList = bc.priceLists.add("Marketplace");
    const client = createBigCommerceClient({ storeHash, accessToken: TOKEN, registry, baseUrl: sim().url });
    // Each upsert takes BigCommerce a moment: calls sent together would overlap.
    bc.priceLists.upsertMs = 20;
    bc.resetStats();
    await bigCommercePriceListPush(async () => client)("shop", priceList.id, variantIds.map((id) => ({ variantExternalId: String(id), amount: "4.50", currency: "USD", compareAt: null })));
    expect(bc.stats.requests).toBe(3);
    expect(bc.priceLists.concurrentUpsertsRefused).toBe(0);
    expect(bc.priceLists.mostUpsertsAtOnce).toBe(1);
    expect(bc.priceLists.records.size).toBe(2_500);
    expect([...bc.priceLists.records.values()].every((record) => record.price === 4.5 && record.currency === "usd")).toBe(true);
  });
});
