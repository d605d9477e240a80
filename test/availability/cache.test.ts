import { describe, expect, it } from "vitest";
import { AvailabilityCache, type Cached, type LoadResult, type SharedStore } from "../../app/availability/cache";

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A loader whose calls the test answers by hand. */
function manualLoader() {
  const calls: { skus: string[]; answer: Deferred<LoadResult<number>> }[] = [];
  const load = (skus: string[]) => {
    const answer = deferred<LoadResult<number>>();
    calls.push({ skus, answer });
    return answer.promise;
  };
  const answer = (i: number, values: Record<string, number>, ttlMs = 30_000) =>
    calls[i]!.answer.resolve({ values: new Map(Object.entries(values)), ttlMs });
  return { calls, load, answer };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the availability cache", () => {
  it("serves hits without loading, and loads again after the TTL", async () => {
    let now = 0;
    const cache = new AvailabilityCache<number>({ clock: { now: () => now } });
    const loader = manualLoader();
    const first = cache.getMany("shop", "", ["A", "B"], loader.load);
    loader.answer(0, { A: 3, B: 1 }, 30_000);
    expect(Object.fromEntries(await first)).toEqual({ A: 3, B: 1 });
    expect(Object.fromEntries(await cache.getMany("shop", "", ["B", "A"], loader.load))).toEqual({ A: 3, B: 1 });
    expect(loader.calls).toHaveLength(1);
    now = 30_000;
    const later = cache.getMany("shop", "", ["A"], loader.load);
    expect(loader.calls.map((c) => c.skus)).toEqual([["A", "B"], ["A"]]);
    loader.answer(1, { A: 2 });
    expect((await later).get("A")).toBe(2);
    expect(cache.stats).toEqual({ hits: 2, misses: 3, loads: 2 });
  });

  it("answers a full hit without a promise, and nothing (loading nothing) when one entry is missing, expired or invalidated", async () => {
    let now = 0;
    const cache = new AvailabilityCache<number>({ clock: { now: () => now } });
    const loader = manualLoader();
    expect(cache.peekMany("shop", "", ["A"])).toBeUndefined();
    const first = cache.getMany("shop", "", ["A", "B", "C"], loader.load);
    loader.answer(0, { A: 3, B: 1 }, 30_000);
    await first;
    expect(Object.fromEntries(cache.peekMany("shop", "", ["B", "A", "C"])!)).toEqual({ A: 3, B: 1, C: null });
    expect(cache.peekMany("shop", "", ["A", "D"])).toBeUndefined();
    expect(cache.peekMany("shop", "elsewhere", ["A"])).toBeUndefined();
    await cache.invalidate("shop", ["B"]);
    expect(cache.peekMany("shop", "", ["A", "B"])).toBeUndefined();
    expect(Object.fromEntries(cache.peekMany("shop", "", ["A"])!)).toEqual({ A: 3 });
    now = 30_000;
    expect(cache.peekMany("shop", "", ["A"])).toBeUndefined();
    expect(loader.calls).toHaveLength(1);
    expect(cache.stats).toEqual({ hits: 4, misses: 3, loads: 1 });
  });

  it("runs one load for any number of callers missing the same entry at once (no stampede)", async () => {
    const cache = new AvailabilityCache<number>();
    const loader = manualLoader();
    const callers = Array.from({ length: 100 }, () => cache.getMany("shop", "", ["HOT"], loader.load));
    const mixed = cache.getMany("shop", "", ["HOT", "COLD"], loader.load);
    expect(loader.calls.map((c) => c.skus)).toEqual([["HOT"], ["COLD"]]);
    loader.answer(0, { HOT: 5 });
    loader.answer(1, { COLD: 9 });
    for (const result of await Promise.all(callers)) expect(result.get("HOT")).toBe(5);
    expect(Object.fromEntries(await mixed)).toEqual({ HOT: 5, COLD: 9 });
  });

  it("remembers unknown SKUs as null instead of asking the database again", async () => {
    const cache = new AvailabilityCache<number>();
    const loader = manualLoader();
    const first = cache.getMany("shop", "", ["NOPE"], loader.load);
    loader.answer(0, {});
    expect((await first).get("NOPE")).toBeNull();
    expect((await cache.getMany("shop", "", ["NOPE"], loader.load)).get("NOPE")).toBeNull();
    expect(loader.calls).toHaveLength(1);
  });

  it("drops invalidated entries in every scope of the shop, and only those", async () => {
    const cache = new AvailabilityCache<number>();
    const loader = manualLoader();
    const fill = async (shop: string, scope: string, values: Record<string, number>) => {
      const pending = cache.getMany(shop, scope, Object.keys(values), loader.load);
      loader.answer(loader.calls.length - 1, values);
      await pending;
    };
    await fill("shop", "", { A: 1, B: 2 });
    await fill("shop", "loc-1", { A: 1 });
    await fill("other", "", { A: 7 });
    await cache.invalidate("shop", ["A"]);
    const calls = loader.calls.length;
    const again = cache.getMany("shop", "", ["A", "B"], loader.load);
    const atLocation = cache.getMany("shop", "loc-1", ["A"], loader.load);
    expect(loader.calls.slice(calls).map((c) => c.skus)).toEqual([["A"], ["A"]]);
    loader.answer(calls, { A: 0 });
    loader.answer(calls + 1, { A: 0 });
    expect(Object.fromEntries(await again)).toEqual({ A: 0, B: 2 });
    await atLocation;
    expect((await cache.getMany("other", "", ["A"], loader.load)).get("A")).toBe(7);
    await cache.invalidate("shop", null);
    void cache.getMany("shop", "", ["B"], loader.load);
    expect(loader.calls.at(-1)!.skus).toEqual(["B"]);
  });

  it("never stores an answer loaded before an invalidation, and a reader after it does not join that load", async () => {
    const cache = new AvailabilityCache<number>();
    const loader = manualLoader();
    const before = cache.getMany("shop", "", ["A"], loader.load);
    await cache.invalidate("shop", ["A"]);
    const after = cache.getMany("shop", "", ["A"], loader.load);
    expect(loader.calls).toHaveLength(2);
    loader.answer(0, { A: 3 });
    loader.answer(1, { A: 2 });
    expect((await before).get("A")).toBe(3);
    expect((await after).get("A")).toBe(2);
    expect((await cache.getMany("shop", "", ["A"], loader.load)).get("A")).toBe(2);

    // The old load finishing last must not overwrite the newer entry either.
    await cache.invalidate("shop", ["A"]);
    const newer = cache.getMany("shop", "", ["A"], loader.load);
    await cache.invalidate("shop", ["A"]);
    const newest = cache.getMany("shop", "", ["A"], loader.load);
    loader.answer(3, { A: 1 });
    await newest;
    loader.answer(2, { A: 9 });
    await newer;
    expect((await cache.getMany("shop", "", ["A"], loader.load)).get("A")).toBe(1);
  });

  it("lets a failed load fail its callers and tries again on the next read", async () => {
    const cache = new AvailabilityCache<number>();
    const loader = manualLoader();
    const failing = cache.getMany("shop", "", ["A"], loader.load);
    const joined = cache.getMany("shop", "", ["A"], loader.load);
    loader.calls[0]!.answer.reject(new Error("database away"));
    await expect(failing).rejects.toThrow("database away");
    await expect(joined).rejects.toThrow("database away");
    const retry = cache.getMany("shop", "", ["A"], loader.load);
    loader.answer(1, { A: 4 });
    expect((await retry).get("A")).toBe(4);
  });

  it("fails a lone caller's failed load without leaving a rejection nobody handles", async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", record);
    try {
      const cache = new AvailabilityCache<number>();
      const loader = manualLoader();
      const lone = cache.getMany("shop", "", ["A", "B"], loader.load);
      loader.calls[0]!.answer.reject(new Error("invalid byte sequence for encoding UTF8"));
      await expect(lone).rejects.toThrow("invalid byte sequence");
      await flush();
      await flush();
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", record);
    }
  });

  it("keeps at most maxEntries, dropping the oldest", async () => {
    const cache = new AvailabilityCache<number>({ maxEntries: 2 });
    const loader = manualLoader();
    for (const sku of ["A", "B", "C"]) {
      const pending = cache.getMany("shop", "", [sku], loader.load);
      loader.answer(loader.calls.length - 1, { [sku]: 1 });
      await pending;
    }
    void cache.getMany("shop", "", ["A", "C"], loader.load);
    expect(loader.calls.at(-1)!.skus).toEqual(["A"]);
  });

  it("evicts from the shop holding the most: one shop's flood never evicts another shop's entries", async () => {
    const cache = new AvailabilityCache<number>({ maxEntries: 10 });
    const loader = manualLoader();
    const fill = async (shopId: string, skus: string[]) => {
      for (const sku of skus) {
        const pending = cache.getMany(shopId, "", [sku], loader.load);
        loader.answer(loader.calls.length - 1, { [sku]: 1 });
        await pending;
      }
    };
    await fill("shop-b", ["B1", "B2", "B3"]);
    await fill("shop-a", Array.from({ length: 50 }, (_, i) => `A${i}`));
    const loads = loader.calls.length;
    // Hits load nothing; shop A kept the rest of the capacity, its newest entries.
    void cache.getMany("shop-b", "", ["B1", "B2", "B3"], loader.load);
    void cache.getMany("shop-a", "", ["A49", "A43"], loader.load);
    expect(loader.calls.length).toBe(loads);
    // A small shop that grows when the cache is full takes entries from the fullest shop, not from itself.
    await fill("shop-b", ["B4"]);
    void cache.getMany("shop-b", "", ["B1", "B4"], loader.load);
    void cache.getMany("shop-a", "", ["A43", "A44"], loader.load);
    expect(loader.calls.slice(loads + 1).map((call) => call.skus)).toEqual([["A43"]]);
  });

  it("reads through a shared store, stores what it loaded there, and works on when the store fails", async () => {
    const listeners: ((shopId: string, skus: string[] | null) => void)[] = [];
    const saved = new Map<string, Cached<number>>();
    let failing = false;
    const shared: SharedStore<number> = {
      async get(_shop, _scope, skus) {
        if (failing) throw new Error("redis down");
        return { found: new Map(skus.filter((sku) => saved.has(sku)).map((sku) => [sku, saved.get(sku)!] as const)), tokens: new Map(skus.map((sku) => [sku, "v1"])) };
      },
      async put(_shop, _scope, entries) {
        for (const [sku, value] of entries) saved.set(sku, value);
      },
      async invalidate(_shop, skus) {
        if (failing) throw new Error("redis down");
        for (const sku of skus ?? [...saved.keys()]) saved.delete(sku);
      },
      onInvalidate: (listener) => void listeners.push(listener),
      close: async () => undefined,
    };
    const errors: unknown[] = [];
    const cache = new AvailabilityCache<number>({ shared, onSharedError: (error) => errors.push(error) });
    const loader = manualLoader();
    saved.set("A", 8);
    const read = cache.getMany("shop", "", ["A", "B"], loader.load);
    await flush();
    expect(loader.calls.map((c) => c.skus)).toEqual([["B"]]);
    loader.answer(0, { B: 2 });
    expect(Object.fromEntries(await read)).toEqual({ A: 8, B: 2 });
    expect(saved.get("B")).toBe(2);

    // Another process invalidated A: this process drops its own copy.
    saved.set("A", 5);
    listeners[0]!("shop", ["A"]);
    expect((await cache.getMany("shop", "", ["A"], loader.load)).get("A")).toBe(5);

    failing = true;
    await cache.invalidate("shop", ["B"]);
    const fallback = cache.getMany("shop", "", ["B"], loader.load);
    await flush();
    loader.answer(1, { B: 1 });
    expect((await fallback).get("B")).toBe(1);
    expect(errors.map((e) => (e as Error).message)).toEqual(["redis down", "redis down"]);
  });
});
