import { describe, expect, it } from "vitest";
import type { InventoryPolicy } from "../../app/inventory/policy";
import { createHolds } from "../../app/reservations/sql/createHolds";
import { type ReserveRequest, type ReserveResult, reserve, reserveBatch } from "../../app/reservations/sql/reserve";
import { manualClock } from "../helpers/clock";
import { useTestDatabase } from "../helpers/database";
import { heldUnits, seedStockShop, type StockShop, stockServices } from "./stockFixture";

// lockstep_reserve_batch takes a batch's single-line requests in one set-based statement ahead of
// the rest. Whatever it takes that way, every request must get the answer it would get if the
// batch's requests ran one by one, in order: checked against a twin shop served one at a time.
const getDb = useTestDatabase();

const NOW = new Date("2026-11-27T10:00:00Z");

interface Twin {
  shop: StockShop;
  skuOf: Map<string, string>;
}

type Line = { sku: string; quantity: number };

async function twin(options: {
  items: { sku: string; stock: number[] }[];
  reportedAt: Date;
  policy?: Partial<InventoryPolicy>;
  bundles?: Record<string, Line[]>;
  preorders?: Record<string, number>;
}): Promise<Twin> {
  const clock = manualClock(NOW);
  const { settings } = stockServices(getDb(), clock);
  const shop = await seedStockShop(getDb(), options.items, options.reportedAt);
  if (options.policy) await settings.updatePolicy(shop.shopId, options.policy);
  for (const [bundle, components] of Object.entries(options.bundles ?? {})) await settings.setBundleComponents(shop.shopId, bundle, components);
  for (const [sku, limit] of Object.entries(options.preorders ?? {})) await settings.setVirtualStock(shop.shopId, sku, { kind: "preorder", limit, promiseDate: null });
  const scopes = options.policy?.availabilityMode === "per_location" ? shop.locations : ["all"];
  const holds = [...shop.variants.entries()].flatMap(([sku, variant_id]) =>
    sku in (options.preorders ?? {}) ? [{ variant_id, scope: "virtual" }] : scopes.map((scope) => ({ variant_id, scope })),
  );
  await createHolds(getDb().sql, { shopId: shop.shopId, holds });
  return { shop, skuOf: new Map([...shop.variants].map(([sku, id]) => [id, sku])) };
}

/** An answer without the shop's own ids, to compare twins. */
function answer(t: Twin, r: ReserveResult) {
  return {
    verdict: r.verdict,
    applied: r.applied,
    created: r.created,
    shortages: r.shortages,
    lines: r.reservation?.lines ?? null,
    // Held in variant id order, which differs between twins.
    holds:
      r.reservation?.holds
        .map((h) => ({ sku: t.skuOf.get(h.v)!, scope: h.s === "all" || h.s === "virtual" ? h.s : "location", q: h.q }))
        .sort((x, y) => x.sku.localeCompare(y.sku)) ?? null,
    expiresAt: r.reservation ? new Date(r.reservation.expires_at).toISOString() : null,
    changedSkus: r.changed_skus && [...r.changed_skus].sort(),
  };
}

/** The same requests as one batch on `a` and one by one on `b`; both twins' answers and holds. */
async function race(a: Twin, b: Twin, requests: { key: string; lines: Line[]; location?: number; ttlSeconds?: number }[]) {
  const on = (t: Twin): ReserveRequest[] =>
    requests.map((r, i) => ({
      shopId: t.shop.shopId,
      key: r.key,
      lines: r.lines,
      locationId: r.location === undefined ? null : t.shop.locations[r.location]!,
      now: new Date(NOW.getTime() + i),
      ttlSeconds: r.ttlSeconds ?? null,
    }));
  const batched = await reserveBatch(getDb().sql, on(a));
  const alone: ReserveResult[] = [];
  for (const request of on(b)) alone.push(await reserve(getDb().sql, { ...request, lockFirst: false }));
  return {
    batched: batched.map((r) => answer(a, r)),
    alone: alone.map((r) => answer(b, r)),
    heldBatched: await heldUnits(getDb(), a.shop.shopId),
    heldAlone: await heldUnits(getDb(), b.shop.shopId),
  };
}

/** Positions (1-based) in the order the batch function answered them: the single-line statement's come first. */
async function answerOrder(t: Twin, requests: { key: string; lines: Line[] }[]): Promise<number[]> {
  const rows = await getDb().sql.query<{ n: number }>(
    `SELECT n FROM lockstep_reserve_batch($1::uuid, $2::text[], $3::jsonb, $4::uuid[], $5::timestamptz[], $6::int[])`,
    [t.shop.shopId, requests.map((r) => r.key), JSON.stringify(requests.map((r) => r.lines)), requests.map(() => null), requests.map(() => NOW), requests.map(() => 600)],
  );
  return rows.map((r) => r.n);
}

describe("a batch of reservations", () => {
  it("answers every request as running them one by one in order would: single lines, bundles, preorders, repeated keys, refusals", async () => {
    const setup = {
      items: [
        { sku: "FEW", stock: [3, 0] },
        { sku: "MANY", stock: [40, 10] },
        { sku: "KIT", stock: [0, 0] },
        { sku: "PRE", stock: [0, 0] },
        { sku: "LONE", stock: [2, 0] },
      ],
      reportedAt: NOW,
      bundles: { KIT: [{ sku: "FEW", quantity: 1 }, { sku: "MANY", quantity: 2 }] },
      preorders: { PRE: 4 },
    };
    const [a, b] = [await twin(setup), await twin(setup)];
    const { batched, alone, heldBatched, heldAlone } = await race(a, b, [
      { key: "k1", lines: [{ sku: "FEW", quantity: 2 }] },
      { key: "k2", lines: [{ sku: "FEW", quantity: 2 }] }, // 1 left: refused
      { key: "k3", lines: [{ sku: "FEW", quantity: 1 }] }, // takes the last one
      { key: "k4", lines: [{ sku: "KIT", quantity: 1 }] }, // a bundle: FEW is gone, refused
      { key: "k5", lines: [{ sku: "MANY", quantity: 1 }], ttlSeconds: 60 },
      { key: "k1", lines: [{ sku: "FEW", quantity: 1 }] }, // the same cart, one fewer: gives one back
      { key: "k6", lines: [{ sku: "PRE", quantity: 3 }] },
      { key: "k7", lines: [{ sku: "PRE", quantity: 2 }] }, // 1 left of the preorder limit: refused
      { key: "k8", lines: [{ sku: "MANY", quantity: 1 }, { sku: "PRE", quantity: 1 }] },
      { key: "k9", lines: [{ sku: "NOPE", quantity: 1 }] },
      { key: "k10", lines: [{ sku: "FEW", quantity: 1 }] }, // the one k1 gave back
      { key: "k11", lines: [{ sku: "LONE", quantity: 2 }] },
      { key: "k12", lines: [{ sku: "LONE", quantity: 1 }] },
    ]);
    expect(batched).toEqual(alone);
    expect(heldBatched).toEqual(heldAlone);
    expect(alone.map((r) => r.applied)).toEqual([true, false, true, false, true, true, true, false, true, false, true, true, false]);
    expect(alone[1]!.shortages).toEqual([{ sku: "FEW", requested: 2, available: 1 }]);
    expect(heldAlone).toEqual(new Map([["FEW", 3], ["MANY", 2], ["PRE", 4], ["LONE", 2], ["KIT", 0]]));
  });

  it("clamps each request as the one before left it when the data is stale (hide low stock, cap)", async () => {
    const stale = new Date(NOW.getTime() - 3_600_000);
    const requests = ["a", "b", "c", "d", "e"].map((key, i) => ({ key, lines: [{ sku: "OLD", quantity: [2, 1, 1, 1, 1][i]! }] }));
    for (const policy of [
      { staleAfterSeconds: 600, staleAction: "hide_low_stock", lowStockThreshold: 3 },
      { staleAfterSeconds: 600, staleAction: "cap", staleCapQuantity: 2 },
    ] as const) {
      const setup = { items: [{ sku: "OLD", stock: [6, 0] }], reportedAt: stale, policy };
      const [a, b] = [await twin(setup), await twin(setup)];
      const { batched, alone, heldBatched, heldAlone } = await race(a, b, requests);
      expect(batched).toEqual(alone);
      expect(heldBatched).toEqual(heldAlone);
      // hide_low_stock: 6 → 4 → 3 (low: shows 0); cap: at most 2 at a time, until 6 are held.
      expect(alone.map((r) => r.applied)).toEqual(policy.staleAction === "cap" ? [true, true, true, true, true] : [true, true, false, false, false]);
    }
  });

  it("serves each location's hold row in order when the shop reserves per location", async () => {
    const setup = { items: [{ sku: "SPLIT", stock: [2, 1] }], reportedAt: NOW, policy: { availabilityMode: "per_location" } as const };
    const [a, b] = [await twin(setup), await twin(setup)];
    const { batched, alone, heldBatched, heldAlone } = await race(a, b, [
      { key: "x1", lines: [{ sku: "SPLIT", quantity: 1 }], location: 0 },
      { key: "x2", lines: [{ sku: "SPLIT", quantity: 1 }], location: 1 },
      { key: "x3", lines: [{ sku: "SPLIT", quantity: 2 }], location: 0 },
      { key: "x4", lines: [{ sku: "SPLIT", quantity: 1 }], location: 0 },
      { key: "x5", lines: [{ sku: "SPLIT", quantity: 1 }], location: 1 },
      { key: "x6", lines: [{ sku: "SPLIT", quantity: 1 }] },
    ]);
    expect(batched).toEqual(alone);
    expect(heldBatched).toEqual(heldAlone);
    expect(alone.map((r) => r.applied)).toEqual([true, true, false, true, false, false]);
    expect(alone[5]!.verdict.location_missing).toBe(true);
  });

  it("takes single-line requests for new keys in one statement, and leaves to the long way any behind a request it cannot take", async () => {
    const t = await twin({ items: ["A", "B", "C"].map((sku) => ({ sku, stock: [50, 0] })), reportedAt: NOW });
    expect(
      await answerOrder(t, [
        { key: "m1", lines: [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }] },
        { key: "q2", lines: [{ sku: "B", quantity: 1 }] }, // behind m1 on B
        { key: "q3", lines: [{ sku: "C", quantity: 1 }] },
        { key: "q4", lines: [{ sku: "A", quantity: 1 }] }, // behind m1 on A
      ]),
    ).toEqual([3, 1, 2, 4]);
    expect(
      await answerOrder(t, [
        { key: "q3", lines: [{ sku: "C", quantity: 2 }] }, // a key held already (on C)
        { key: "q5", lines: [{ sku: "C", quantity: 1 }] }, // behind it on C
        { key: "d", lines: [{ sku: "B", quantity: 1 }] }, // a key named twice
        { key: "q6", lines: [{ sku: "A", quantity: 1 }] },
        { key: "d", lines: [{ sku: "B", quantity: 2 }] },
      ]),
    ).toEqual([4, 1, 2, 3, 5]);
  });
});
