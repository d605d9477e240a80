import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../app/webhooks/groupCommit";

describe("group commit", () => {
  it("writes items submitted together in one flush and answers each with its own result", async () => {
    const flushes: number[][] = [];
    const group = new GroupCommit(async (items: number[]) => {
      flushes.push(items);
      return items.map((item) => item * 10);
    }, { maxBatch: 100, maxInFlight: 1 });
    expect(await Promise.all([1, 2, 3].map((item) => group.submit(item)))).toEqual([10, 20, 30]);
    expect(flushes).toEqual([[1, 2, 3]]);
  });

  it("items arriving while a flush is in flight wait for it and go together in the next one", async () => {
    const flushes: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit(async (items: number[]) => {
      flushes.push(items);
      if (flushes.length === 1) await gate;
      return items;
    }, { maxBatch: 100, maxInFlight: 1 });
    const first = group.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [group.submit(2), group.submit(3)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushes).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3]);
    expect(flushes).toEqual([[1], [2, 3]]);
  });

  it("caps a batch by count and by weight, and fails every submitter of a failed flush", async () => {
    const flushes: string[][] = [];
    const group = new GroupCommit(async (items: string[]) => {
      flushes.push(items);
      if (items.includes("boom")) throw new Error("database down");
      return items;
    }, { maxBatch: 3, maxInFlight: 4, weigh: (item) => item.length, maxWeight: 6 });
    await Promise.all(["aaaa", "bb", "c", "d", "e", "ffffffffff"].map((item) => group.submit(item)));
    expect(flushes).toEqual([["aaaa", "bb"], ["c", "d", "e"], ["ffffffffff"]]);
    const results = await Promise.allSettled([group.submit("ok"), group.submit("boom")]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
