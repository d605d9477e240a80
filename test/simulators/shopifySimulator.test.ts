import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimulatedChange } from "../../simulators/changes";
import { type ShopifySimulator, startShopifySimulator } from "../../simulators/shopify/server";
import { gid } from "../../simulators/shopify/store";
import { manualClock } from "../helpers/clock";

let sim: ShopifySimulator;
const clock = manualClock(Date.parse("2026-11-27T10:00:00Z"));
const DOMAIN = "sim-test.myshopify.com";

beforeAll(async () => {
  sim = await startShopifySimulator({
    clock,
    shops: [{ domain: DOMAIN, accessToken: "shpat_x", bucket: { maximumAvailable: 100, restoreRate: 50 }, seed: { products: 3, variantsPerProduct: 2, locations: ["Main", "Backroom"] } }],
  });
});

afterAll(async () => {
  await sim.close();
});

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  extensions?: { cost: { requestedQueryCost: number; actualQueryCost: number | null; throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } } };
}

async function graphql(query: string, variables: Record<string, unknown> = {}, token = "shpat_x"): Promise<{ status: number; body: Answer }> {
  const response = await fetch(sim.endpointFor(DOMAIN), {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": token },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

const refill = () => clock.advance(10_000);
const VARIANTS = "query V($first: Int!) { productVariants(first: $first) { nodes { id sku inventoryItem { id } } pageInfo { hasNextPage endCursor } } }";
const SET = `mutation S($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) { inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } } userErrors { code field message } }
}`;

function firstLevelIds() {
  const shop = sim.shop(DOMAIN);
  const variant = [...shop.variants.values()][0]!;
  const location = [...shop.locations.values()][0]!;
  return { shop, level: shop.level(variant.inventoryItemId, location.id)!, inventoryItemId: gid("InventoryItem", variant.inventoryItemId), locationId: gid("Location", location.id) };
}

describe("Shopify simulator: cost-based leaky bucket", () => {
  it("answers the requested and actual cost and the bucket in extensions.cost", async () => {
    await refill();
    const { status, body } = await graphql(VARIANTS, { first: 10 });
    expect(status).toBe(200);
    // 2 + 10 × (variant + inventoryItem) + pageInfo; only 6 variants exist, so 2 + 6 × 2 + 1 is charged.
    expect(body.extensions!.cost).toEqual({
      requestedQueryCost: 23,
      actualQueryCost: 15,
      throttleStatus: { maximumAvailable: 100, currentlyAvailable: 85, restoreRate: 50 },
    });
  });

  it("answers THROTTLED with HTTP 200 when the bucket cannot pay the requested cost, and restores at its rate", async () => {
    await refill();
    // Each pays 23 up front and gets 8 back (only 6 variants exist): 6 × 15 leaves 10 < 23.
    for (let i = 0; i < 6; i++) expect((await graphql(VARIANTS, { first: 10 })).body.errors).toBeUndefined();
    const throttled = await graphql(VARIANTS, { first: 10 });
    expect(throttled.status).toBe(200);
    expect(throttled.body.errors?.[0]?.extensions?.code).toBe("THROTTLED");
    expect(throttled.body.data).toBeUndefined();
    expect(throttled.body.extensions!.cost).toMatchObject({ requestedQueryCost: 23, actualQueryCost: null, throttleStatus: { currentlyAvailable: 10 } });
    await clock.advance(300);
    expect((await graphql(VARIANTS, { first: 10 })).body.errors).toBeUndefined();
    expect(sim.stats(DOMAIN).throttled).toBeGreaterThanOrEqual(1);
  });

  it("refuses a query above the single-query maximum with MAX_COST_EXCEEDED", async () => {
    await refill();
    const { body } = await graphql(VARIANTS, { first: 250 });
    expect(body.errors?.[0]?.extensions?.code).toBe("MAX_COST_EXCEEDED");
  });
});

describe("Shopify simulator: rejects what Shopify rejects", () => {
  it("validates against the real schema", async () => {
    await refill();
    const misspelt = await graphql("{ productVariants(first: 1) { nodes { skuu } } }");
    expect(misspelt.status).toBe(200);
    expect(misspelt.body.errors?.[0]?.message).toMatch(/skuu/);
    const syntax = await graphql("{ productVariants(first: 1) { nodes { sku }");
    expect(syntax.body.errors?.[0]?.extensions?.code).toBe("PARSE_ERROR");
  });

  it("requires a page size on connections", async () => {
    await refill();
    const { body } = await graphql("{ productVariants { nodes { id } } }");
    expect(body.errors?.[0]?.message).toMatch(/first or last/);
  });

  it("401 for a wrong token, 404 for an unknown shop or version", async () => {
    expect((await graphql(VARIANTS, { first: 1 }, "wrong")).status).toBe(401);
    const unknown = await fetch(`${sim.url}/nope.myshopify.com/admin/api/2026-10/graphql.json`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    const oldVersion = await fetch(sim.endpointFor(DOMAIN).replace("2026-10", "2024-01"), {
      method: "POST",
      headers: { "X-Shopify-Access-Token": "shpat_x" },
      body: "{}",
    });
    expect(oldVersion.status).toBe(404);
  });

  it("inventory mutations need @idempotent(key:)", async () => {
    await refill();
    const { inventoryItemId, locationId } = firstLevelIds();
    const { body } = await graphql(
      "mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }",
      { input: { name: "available", reason: "correction", quantities: [{ inventoryItemId, locationId, quantity: 1, changeFromQuantity: null }] } },
    );
    expect(body.errors?.[0]?.message).toMatch(/@idempotent/);
  });
});

describe("Shopify simulator: inventory mutations", () => {
  it("compare-and-swap: a stale changeFromQuantity changes nothing", async () => {
    await refill();
    const { level, inventoryItemId, locationId } = firstLevelIds();
    const before = level.quantities.available;
    const { body } = await graphql(SET, {
      key: "stale-1",
      input: { name: "available", reason: "correction", quantities: [{ inventoryItemId, locationId, quantity: 1, changeFromQuantity: before + 5 }] },
    });
    const payload = body.data!.inventorySetQuantities as { userErrors: Array<{ code: string; field: string[] }> };
    expect(payload.userErrors[0]).toMatchObject({ code: "CHANGE_FROM_QUANTITY_STALE", field: ["input", "quantities", "0", "changeFromQuantity"] });
    expect(level.quantities.available).toBe(before);
  });

  it("changeFromQuantity must be given, even as null", async () => {
    await refill();
    const { inventoryItemId, locationId } = firstLevelIds();
    const { body } = await graphql(SET, { key: "missing-cas", input: { name: "available", reason: "correction", quantities: [{ inventoryItemId, locationId, quantity: 1 }] } });
    const payload = body.data!.inventorySetQuantities as { userErrors: Array<{ field: string[] }> };
    expect(payload.userErrors[0]!.field).toContain("changeFromQuantity");
  });

  it("an idempotency key replays the first answer, refuses other parameters, and reports each change once", async () => {
    await refill();
    const { level, inventoryItemId, locationId } = firstLevelIds();
    const changes: SimulatedChange[] = [];
    const stop = sim.onChange((change) => changes.push(change));
    const input = { name: "available", reason: "correction", quantities: [{ inventoryItemId, locationId, quantity: 42, changeFromQuantity: level.quantities.available }] };
    const first = await graphql(SET, { key: "same-key", input });
    const again = await graphql(SET, { key: "same-key", input });
    const other = await graphql(SET, { key: "same-key", input: { ...input, quantities: [{ ...input.quantities[0], quantity: 43 }] } });
    stop();
    expect(again.body.data).toEqual(first.body.data);
    expect((other.body.data!.inventorySetQuantities as { userErrors: Array<{ code: string }> }).userErrors[0]!.code).toBe("IDEMPOTENCY_KEY_PARAMETER_MISMATCH");
    expect(level.quantities.available).toBe(42);
    expect(changes.filter((change) => change.kind === "inventory_levels/update")).toHaveLength(1);
    expect(changes[0]).toMatchObject({ shop: DOMAIN, payload: { available: 42, location_id: level.locationId, inventory_item_id: level.inventoryItemId } });
    expect(sim.stats(DOMAIN).idempotentReplays).toBe(1);
  });

  it("a shopper's order moves stock to committed and is reported as orders/create plus inventory_levels/update", async () => {
    const { shop, level } = firstLevelIds();
    const sku = [...shop.variants.values()][0]!.sku;
    const before = { ...level.quantities };
    const changes: SimulatedChange[] = [];
    const stop = sim.onChange((change) => changes.push(change));
    shop.placeOrder([{ sku, quantity: 2 }]);
    stop();
    expect(level.quantities).toMatchObject({ available: before.available - 2, committed: before.committed + 2, on_hand: before.on_hand });
    expect(changes.map((change) => change.kind)).toEqual(["orders/create", "inventory_levels/update"]);
  });
});

describe("Shopify simulator: bulk operations", () => {
  it("writes Shopify's JSONL: one line per node, nested connection nodes with __parentId after their parent", async () => {
    await refill();
    const run = await graphql(
      'mutation B($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) { bulkOperation { id status } userErrors { message } } }',
      { q: "{ productVariants { edges { node { id inventoryItem { inventoryLevels { edges { node { id location { id } } } } } } } } }" },
    );
    const started = (run.body.data!.bulkOperationRunQuery as { bulkOperation: { id: string; status: string } }).bulkOperation;
    expect(started.status).toBe("CREATED");
    const polled = await graphql("query P($id: ID!) { bulkOperation(id: $id) { status url objectCount } }", { id: started.id });
    const operation = polled.body.data!.bulkOperation as { status: string; url: string; objectCount: string };
    expect(operation.status).toBe("COMPLETED");
    const lines = (await (await fetch(operation.url)).text()).trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(6 + 12);
    expect(Number(operation.objectCount)).toBe(18);
    const variantIds = new Set<unknown>();
    for (const line of lines) {
      if (line.__parentId === undefined) variantIds.add(line.id);
      else expect(variantIds.has(line.__parentId)).toBe(true);
    }
  });

  it("refuses an invalid bulk query through userErrors", async () => {
    await refill();
    const run = await graphql('mutation B($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) { bulkOperation { id } userErrors { message } } }', {
      q: "{ productVariants { edges { node { nope } } } }",
    });
    const payload = run.body.data!.bulkOperationRunQuery as { bulkOperation: unknown; userErrors: Array<{ message: string }> };
    expect(payload.bulkOperation).toBeNull();
    expect(payload.userErrors[0]!.message).toMatch(/nope/);
  });
});
