import { describe, expect, it } from "vitest";
import { type BackfillDeps, beginBackfill, runBackfill } from "../../app/backfill/backfill.server";
import type { CatalogRow } from "../../app/catalog/catalogRows";
import { readShopifyCatalog } from "../../app/backfill/shopify.server";
import { createShopifyAdminClient } from "../../app/platforms/shopify/adminClient.server";
import { type ShopifyShop, gid } from "../../simulators/shopify/store";
import { useTestDatabase } from "../helpers/database";
import { applyWebhookEvents, type CatalogSnapshot, catalogInDatabase, countRows, createShop, sortSnapshot } from "./catalogFixture";
import { useShopifySimulator } from "../helpers/simulators";

const { sim, registry: newRegistry } = useShopifySimulator();

const getDb = useTestDatabase();
let shopCounter = 0;

/** A simulated shop with committed and incoming stock here and there, and its Lockstep shop row. */
async function freshShop() {
  const domain = `backfill-${++shopCounter}.myshopify.com`;
  const shop = sim().addShop({ domain, accessToken: "shpat_backfill", seed: { products: 7, variantsPerProduct: 3, locations: ["Main", "Backroom", "Pop-up"], available: 6 } });
  shop.placeOrder([{ sku: "SKU-0002-1", quantity: 2 }, { sku: "SKU-0005-3", quantity: 1 }]);
  const someLevel = [...shop.levels.values()][4]!;
  someLevel.quantities.incoming = 12;
  const registry = newRegistry({ refillIntervalMs: 25 });
  const client = createShopifyAdminClient({ shop: domain, accessToken: "shpat_backfill", registry, endpoint: sim().endpointFor(domain) });
  const shopId = await createShop(getDb(), "shopify", domain);
  const invalidated: string[] = [];
  const deps = (overrides: Partial<BackfillDeps> = {}): BackfillDeps => ({
    sql: getDb().sql,
    catalogOf: () => readShopifyCatalog(client, { pollIntervalMs: 1 }),
    invalidate: async (id) => void invalidated.push(id),
    // Small batches, so a shop of this size takes many transactions.
    batchSize: 10,
    ...overrides,
  });
  return { domain, shop, shopId, deps, invalidated };
}

/** The simulated shop's catalog in Lockstep's terms (on hand = available + committed, as the consumers store it). */
function catalogInSimulator(shop: ShopifyShop): CatalogSnapshot {
  return sortSnapshot({
    locations: [...shop.locations.values()].map((location) => ({ id: gid("Location", location.id), name: location.name, active: location.isActive })),
    products: [...shop.products.values()].map((product) => ({ id: gid("Product", product.id), title: product.title, status: "active" })),
    variants: [...shop.variants.values()].map((variant) => ({
      id: gid("ProductVariant", variant.id),
      product: gid("Product", variant.productId),
      item: gid("InventoryItem", variant.inventoryItemId),
      sku: variant.sku,
      title: variant.title,
      price: Number(variant.price),
    })),
    levels: [...shop.levels.values()].map((level) => ({
      item: gid("InventoryItem", level.inventoryItemId),
      location: gid("Location", level.locationId),
      onHand: level.quantities.available + level.quantities.committed,
      committed: level.quantities.committed,
      incoming: level.quantities.incoming,
    })),
  });
}

/** Runs `beforeLevels` when the first level row comes out of the reader: after the platform was read, before any level is written. */
function interceptFirstLevel(rows: AsyncIterable<CatalogRow>, beforeLevels: () => Promise<void>): AsyncIterable<CatalogRow> {
  return (async function* () {
    let done = false;
    for await (const row of rows) {
      if (row.kind === "level" && !done) {
        done = true;
        await beforeLevels();
      }
      yield row;
    }
  })();
}

describe("Shopify backfill through bulk operations", () => {
  it("gives a fresh shop exactly the simulator's catalog and stock, records the counts and invalidates availability", async () => {
    const { shop, shopId, deps, invalidated } = await freshShop();
    const record = await runBackfill(deps(), shopId);
    expect(record).toMatchObject({ state: "done", error: null, locations: 3, products: 7, variants: 21, levels: 63 });
    expect(record.finishedAt).toBeInstanceOf(Date);
    expect(sortSnapshot(await catalogInDatabase(getDb().sql, shopId))).toEqual(catalogInSimulator(shop));
    const committed = (await catalogInDatabase(getDb().sql, shopId)).levels.filter((level) => level.committed > 0);
    expect(committed.map((level) => level.committed).sort()).toEqual([1, 2]);
    expect(invalidated).toEqual([shopId]);
    // Two bulk operations, side by side.
    expect(shop.bulkOperations.size).toBe(2);
  });

  it("is idempotent: a second run leaves the same rows and takes the platform's changes since", async () => {
    const { shop, shopId, deps } = await freshShop();
    await runBackfill(deps(), shopId);
    const first = await catalogInDatabase(getDb().sql, shopId);
    expect((await runBackfill(deps(), shopId)).state).toBe("done");
    expect(await catalogInDatabase(getDb().sql, shopId)).toEqual(first);

    // A SKU moved to another variant and a price changed on the platform: the third run follows.
    const [a, b] = [...shop.variants.values()];
    [a!.sku, b!.sku] = [b!.sku, a!.sku];
    a!.price = "42.50";
    const third = await runBackfill(deps(), shopId);
    expect(third).toMatchObject({ state: "done", variants: 21, levels: 63 });
    expect(sortSnapshot(await catalogInDatabase(getDb().sql, shopId))).toEqual(catalogInSimulator(shop));
  });

  it("leaves alone a level a webhook changed during the backfill, and ignores a webhook older than the backfill", async () => {
    const { shop, shopId, deps } = await freshShop();
    const variant = [...shop.variants.values()][0]!;
    const [main, backroom] = [...shop.locations.values()];
    const item = gid("InventoryItem", variant.inventoryItemId);
    const record = await runBackfill(
      deps({
        // The webhook lands after the platform was read (its change is newer than the read) and before the levels are written.
        catalogOf: () =>
          interceptFirstLevel(readShopifyCatalog(createShopifyAdminClientFor(shop), { pollIntervalMs: 1 }), () =>
            applyWebhookEvents(getDb(), [
              { type: "InventoryLevelChanged", shopId, occurredAt: new Date(), inventoryItemExternalId: item, locationExternalId: gid("Location", main!.id), available: 99 },
            ]),
          ),
      }),
      shopId,
    );
    expect(record.state).toBe("done");
    const levels = (await catalogInDatabase(getDb().sql, shopId)).levels;
    const at = (location: number) => levels.find((level) => level.item === item && level.location === gid("Location", location));
    expect(at(main!.id)?.onHand).toBe(99);
    expect(at(backroom!.id)?.onHand).toBe(shop.level(variant.inventoryItemId, backroom!.id)!.quantities.available);
    // The webhook's placeholder for the then unknown item became the real variant: no stray product is left.
    const expected = catalogInSimulator(shop);
    const actual = sortSnapshot(await catalogInDatabase(getDb().sql, shopId));
    expect(actual.products).toEqual(expected.products);
    expect(actual.variants).toEqual(expected.variants);

    // A delivery of a change older than the backfill's read arrives late: it changes nothing.
    await applyWebhookEvents(getDb(), [
      {
        type: "InventoryLevelChanged",
        shopId,
        occurredAt: new Date(record.readAt!.getTime() - 60_000),
        inventoryItemExternalId: item,
        locationExternalId: gid("Location", backroom!.id),
        available: 0,
      },
    ]);
    const after = (await catalogInDatabase(getDb().sql, shopId)).levels.find((level) => level.item === item && level.location === gid("Location", backroom!.id));
    expect(after?.onHand).toBe(shop.level(variant.inventoryItemId, backroom!.id)!.quantities.available);
  });

  it("marks the backfill failed with the platform's error when the bulk operation fails, and writes nothing", async () => {
    const { domain, shopId, deps, invalidated } = await freshShop();
    sim().injectFault(domain, "bulk-failed");
    const record = await runBackfill(deps(), shopId);
    expect(record.state).toBe("failed");
    expect(record.error).toMatch(/^bulk_operation_failed: .*FAILED \(INTERNAL_SERVER_ERROR\)$/);
    expect(record.finishedAt).toBeInstanceOf(Date);
    expect(await countRows(getDb().sql, shopId)).toEqual({ location: 0, product: 0, variant: 0, inventory_level: 0 });
    expect(invalidated).toEqual([]);
    // Once the platform recovers, running it again completes.
    expect((await runBackfill(deps(), shopId)).state).toBe("done");
  });

  it("a batch that fails to write leaves none of its rows: what is stored is exactly the batches before it", async () => {
    const { shop, shopId, deps, invalidated } = await freshShop();
    // A price the column cannot hold, far enough in that earlier batches were written.
    [...shop.variants.values()][12]!.price = "99999999999999999999";
    const record = await runBackfill(deps(), shopId);
    expect(record.state).toBe("failed");
    expect(record.error).toMatch(/numeric/i);
    const stored = await countRows(getDb().sql, shopId);
    expect(stored).toEqual({ location: record.locations, product: record.products, variant: record.variants, inventory_level: record.levels });
    const written = record.locations + record.products + record.variants + record.levels;
    expect(written).toBeGreaterThan(0);
    expect(written % 10).toBe(0);
    expect(record.variants).toBeLessThan(13);
    expect(invalidated).toEqual([shopId]);
  });

  it("runs one backfill per shop at a time (409), and takes over one that stopped moving", async () => {
    const { shopId, deps } = await freshShop();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const blocked = deps({
      catalogOf: () =>
        (async function* (): AsyncGenerator<CatalogRow> {
          await gate;
          yield { kind: "location", externalId: "gid://shopify/Location/1", name: "Late", active: true };
        })(),
    });
    const first = await beginBackfill(blocked, shopId);
    expect(first.record.state).toBe("running");
    await expect(beginBackfill(deps(), shopId)).rejects.toMatchObject({ code: "backfill_running", status: 409 });
    // A process that died leaves a running row behind; past the abandonment time a new run takes it.
    const later = new Date(Date.now() + 16 * 60_000);
    const takeover = await beginBackfill(deps({ now: () => later }), shopId);
    expect((await takeover.finished).state).toBe("done");
    release();
    // The abandoned run waking up late writes nothing and leaves the row of the run that took over as it was.
    const finished = await first.finished;
    expect(finished).toMatchObject({ state: "done", startedAt: later, error: null });
    expect((await catalogInDatabase(getDb().sql, shopId)).locations.map((location) => location.name)).not.toContain("Late");
    const again = await beginBackfill(deps({ now: () => new Date(later.getTime() + 60_000) }), shopId);
    expect((await again.finished).state).toBe("done");
  });

  it("a run waiting long on the platform keeps its claim through keepAlive, and stops once taken over anyway", async () => {
    const { shopId, deps } = await freshShop();
    let clock = Date.now();
    const now = () => new Date(clock);
    let refusedWhileAlive: unknown;
    let afterTakeover: unknown;
    const record = await runBackfill(
      deps({
        now,
        catalogOf: (_shop, run) =>
          (async function* (): AsyncGenerator<CatalogRow> {
            // Twenty minutes of waiting on a bulk operation, looked at every ten.
            for (let step = 0; step < 2; step++) {
              clock += 10 * 60_000;
              await run.keepAlive();
            }
            refusedWhileAlive = await beginBackfill(deps({ now: () => new Date(clock + 60_000) }), shopId).catch((error: unknown) => error);
            // Silent for sixteen minutes: another run takes over, and this one's next keepAlive stops it.
            const takeover = await beginBackfill(deps({ now: () => new Date(clock + 16 * 60_000) }), shopId);
            await takeover.finished;
            clock += 17 * 60_000;
            afterTakeover = await run.keepAlive().catch((error: unknown) => error);
            yield { kind: "location", externalId: "gid://shopify/Location/2", name: "Never written", active: true };
          })(),
      }),
      shopId,
    );
    expect(refusedWhileAlive).toMatchObject({ code: "backfill_running" });
    expect(afterTakeover).toMatchObject({ code: "backfill_taken_over" });
    expect(record.state).toBe("done");
    expect((await catalogInDatabase(getDb().sql, shopId)).locations.map((location) => location.name)).not.toContain("Never written");
  });

  it("a re-run retires what the platform no longer lists: the product as deleted, its stock at zero", async () => {
    const { shop, shopId, deps } = await freshShop();
    await runBackfill(deps(), shopId);
    const gone = [...shop.products.values()][2]!;
    for (const variantId of gone.variantIds) {
      const variant = shop.variants.get(variantId)!;
      for (const location of shop.locations.keys()) shop.levels.delete(`${variant.inventoryItemId}@${location}`);
      shop.variantByItem.delete(variant.inventoryItemId);
      shop.variants.delete(variantId);
    }
    shop.products.delete(gone.id);
    expect((await runBackfill(deps(), shopId)).state).toBe("done");
    const stored = await catalogInDatabase(getDb().sql, shopId);
    expect(stored.products.find((product) => product.id === gid("Product", gone.id))?.status).toBe("deleted");
    const goneItems = new Set(stored.variants.filter((variant) => variant.product === gid("Product", gone.id)).map((variant) => variant.item));
    expect(goneItems.size).toBe(3);
    const goneLevels = stored.levels.filter((level) => goneItems.has(level.item));
    expect(goneLevels).toHaveLength(9);
    expect(goneLevels.every((level) => level.onHand === 0 && level.committed === 0)).toBe(true);
    // Everything else is as the platform has it.
    const listed = catalogInSimulator(shop);
    expect(sortSnapshot({ ...stored, levels: stored.levels.filter((level) => !goneItems.has(level.item)) }).levels).toEqual(listed.levels);
    expect(stored.products.filter((product) => product.status !== "deleted")).toEqual(sortSnapshot(listed).products);
  });

  it("streams the result file: the first batches are in the database while the rest of the file has not arrived", async () => {
    const { domain, shop, shopId, deps } = await freshShop();
    const client = createShopifyAdminClientFor(shop);
    let heldBack = 0;
    // Hands the catalog file over line by line and stops halfway until batches were written: a
    // reader that waited for the whole file would never see the second half.
    const trickle: typeof fetch = async (input) => {
      const lines = (await (await fetch(input)).text()).split("\n").filter(Boolean);
      const isCatalog = lines.some((line) => line.includes("gid://shopify/ProductVariant/"));
      let next = 0;
      const encoder = new TextEncoder();
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (next === lines.length) return controller.close();
            if (isCatalog && next === Math.floor(lines.length / 2)) {
              heldBack = lines.length - next;
              await waitFor(async () => ((await catalogInDatabase(getDb().sql, shopId)).variants.length > 0));
            }
            controller.enqueue(encoder.encode(`${lines[next++]}\n`));
          },
        }),
      );
    };
    const record = await runBackfill(deps({ catalogOf: () => readShopifyCatalog(client, { pollIntervalMs: 1, fetch: trickle }) }), shopId);
    expect(record.state).toBe("done");
    expect(heldBack).toBeGreaterThan(10);
    expect(sortSnapshot(await catalogInDatabase(getDb().sql, shopId))).toEqual(catalogInSimulator(sim().shop(domain)));
  });

  it("fails on a line it does not know instead of skipping it, keeping what the batches before it wrote", async () => {
    const { shop, shopId, deps } = await freshShop();
    const client = createShopifyAdminClientFor(shop);
    const withStranger: typeof fetch = async (input) => {
      const text = await (await fetch(input)).text();
      return new Response(text.includes("ProductVariant") ? `${text}{"id":"gid://shopify/Collection/1"}\n` : text);
    };
    const record = await runBackfill(deps({ catalogOf: () => readShopifyCatalog(client, { pollIntervalMs: 1, fetch: withStranger }) }), shopId);
    expect(record).toMatchObject({ state: "failed", error: "bulk_result_unexpected: unexpected line in the catalog bulk result: gid://shopify/Collection/1" });
    expect(record.levels).toBeGreaterThan(0);
  });

  it("refuses an unknown shop with 404", async () => {
    const { deps } = await freshShop();
    await expect(beginBackfill(deps(), "00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({ code: "unknown_shop", status: 404 });
  });
});

function createShopifyAdminClientFor(shop: ShopifyShop) {
  const registry = newRegistry({ refillIntervalMs: 25 });
  return createShopifyAdminClient({ shop: shop.domain, accessToken: shop.accessToken, registry, endpoint: sim().endpointFor(shop.domain) });
}

/** Polls a condition with a bound (no fixed sleeps standing in for the condition). */
async function waitFor(condition: () => Promise<boolean>, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("condition not met: the reader did not write before the whole file arrived");
}

describe("Shopify backfill: the feed attributes marketplaces need", () => {
  it("reads the product metafields feed mappings name, and only those", async () => {
    const { shop, shopId, deps } = await freshShop();
    const [product, other] = [...shop.products.values()];
    const { userErrors } = shop.metafields.set([
      { ownerId: gid("Product", product!.id), namespace: "custom", key: "brand", type: "single_line_text_field", value: "Acme Outdoor" },
      { ownerId: gid("Product", product!.id), namespace: "amazon", key: "product_type", type: "single_line_text_field", value: "SHIRT" },
      { ownerId: gid("Product", product!.id), namespace: "custom", key: "unmapped", type: "single_line_text_field", value: "not read" },
    ]);
    expect(userErrors).toEqual([]);
    const client = createShopifyAdminClient({ shop: shop.domain, accessToken: "shpat_backfill", registry: newRegistry({ refillIntervalMs: 25 }), endpoint: sim().endpointFor(shop.domain) });
    await runBackfill(deps({ catalogOf: () => readShopifyCatalog(client, { pollIntervalMs: 1, metafields: ["amazon.product_type", "custom.brand", "custom.gtin"] }) }), shopId);
    const metafields = async (id: number) =>
      (await getDb().sql.query<{ metafields: unknown }>(`SELECT metafields FROM product WHERE shop_id = $1 AND external_id = $2`, [shopId, gid("Product", id)]))[0]!.metafields;
    expect(await metafields(product!.id)).toEqual({ "custom.brand": "Acme Outdoor", "amazon.product_type": "SHIRT" });
    expect(await metafields(other!.id)).toEqual({});
  });

  it("fills description, link, image, brand, GTIN, MPN, condition and compare-at, and clears what the platform no longer has", async () => {
    const { shop, shopId, deps } = await freshShop();
    const product = [...shop.products.values()][0]!;
    product.bodyHtml = "<p>Warm <b>wool</b> &amp; cotton</p>";
    product.vendor = "Northwind";
    const variant = shop.variants.get(product.variantIds[0]!)!;
    variant.barcode = "0012345678905";
    variant.compareAtPrice = "99.00";
    const { userErrors } = shop.metafields.set([
      { ownerId: gid("ProductVariant", variant.id), namespace: "mm-google-shopping", key: "mpn", type: "single_line_text_field", value: "NW-100" },
      { ownerId: gid("Product", product.id), namespace: "mm-google-shopping", key: "condition", type: "single_line_text_field", value: "Refurbished" },
    ]);
    expect(userErrors).toEqual([]);

    await runBackfill(deps(), shopId);
    const attributes = async () =>
      (
        await getDb().sql.query<Record<string, string | null>>(
          `SELECT p.description, p.url_path, p.image_url, p.brand, p.condition, v.gtin, v.mpn, v.compare_at_price::text AS compare_at
           FROM variant v JOIN product p ON p.id = v.product_id WHERE v.shop_id = $1 AND v.external_id = $2`,
          [shopId, gid("ProductVariant", variant.id)],
        )
      )[0];
    expect(await attributes()).toEqual({
      description: "Warm wool & cotton",
      url_path: `/products/${product.handle}`,
      image_url: product.imageSrc,
      brand: "Northwind",
      condition: "refurbished",
      gtin: "0012345678905",
      mpn: "NW-100",
      compare_at: "99.0000",
    });
    const other = shop.variants.get(product.variantIds[1]!)!;
    const [plain] = await getDb().sql.query<{ gtin: string | null; mpn: string | null; compare_at_price: string | null }>(
      "SELECT gtin, mpn, compare_at_price FROM variant WHERE shop_id = $1 AND external_id = $2",
      [shopId, gid("ProductVariant", other.id)],
    );
    expect(plain).toEqual({ gtin: null, mpn: null, compare_at_price: null });

    variant.barcode = null;
    variant.compareAtPrice = null;
    product.imageSrc = null;
    await runBackfill(deps(), shopId);
    expect(await attributes()).toMatchObject({ gtin: null, compare_at: null, image_url: null, mpn: "NW-100" });
  });
});
