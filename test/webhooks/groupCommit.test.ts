import { describe, expect, it } from "vitest";
import { GroupCommit, GroupCommitFull, GroupCommitTimeout } from "../../app/webhooks/groupCommit";

/** A flush that holds its first batch until `release()`, recording every batch. */
function gatedFlush() {
  const flushes: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const flush = async (items: number[]) => {
    flushes.push(items);
    if (flushes.length === 1) await gate;
    return items;
  };
  return { flushes, flush, release: () => release() };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

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

  it("holds at most `maxHeld` items, waiting or being written: beyond, submit fails at once with GroupCommitFull", async () => {
    const { flushes, flush, release } = gatedFlush();
    const group = new GroupCommit(flush, { maxBatch: 100, maxInFlight: 1, maxHeld: 2 });
    const first = group.submit(1);
    await nextTurn();
    const second = group.submit(2);
    await expect(group.submit(3)).rejects.toBeInstanceOf(GroupCommitFull);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    // Written items free their place.
    expect(await group.submit(4)).toBe(4);
    expect(flushes).toEqual([[1], [2], [4]]);
  });

  it("bounds the bytes held too, but always takes one item when it holds nothing", async () => {
    const group = new GroupCommit(async (items: string[]) => items, { maxBatch: 100, maxInFlight: 1, weigh: (item) => item.length, maxHeldWeight: 4 });
    const results = await Promise.allSettled([group.submit("aaa"), group.submit("bb"), group.submit("c")]);
    expect(results.map((result) => (result.status === "fulfilled" ? result.value : (result.reason as Error).name))).toEqual(["aaa", "GroupCommitFull", "c"]);
    expect(await group.submit("much more than four")).toBe("much more than four");
  });

  it("drops an item whose submitter gave up while it waited: never written, its place freed", async () => {
    const { flushes, flush, release } = gatedFlush();
    const group = new GroupCommit(flush, { maxBatch: 100, maxInFlight: 1, maxHeld: 2 });
    const first = group.submit(1);
    await nextTurn();
    const gaveUp = new AbortController();
    const abandoned = group.submit(2, gaveUp.signal);
    gaveUp.abort(new Error("the platform hung up"));
    await expect(abandoned).rejects.toThrow("the platform hung up");
    const third = group.submit(3);
    release();
    expect(await Promise.all([first, third])).toEqual([1, 3]);
    expect(flushes).toEqual([[1], [3]]);
    const already = new AbortController();
    already.abort(new Error("gone before"));
    await expect(group.submit(5, already.signal)).rejects.toThrow("gone before");
    expect(flushes).toEqual([[1], [3]]);
  });

  it("a submitter giving up while its item is being written stops waiting; the write goes on", async () => {
    const { flushes, flush, release } = gatedFlush();
    const group = new GroupCommit(flush, { maxBatch: 100, maxInFlight: 1 });
    const gaveUp = new AbortController();
    const written = group.submit(1, gaveUp.signal);
    await nextTurn();
    gaveUp.abort(new Error("timed out"));
    await expect(written).rejects.toThrow("timed out");
    release();
    expect(await group.submit(2)).toBe(2);
    expect(flushes).toEqual([[1], [2]]);
  });

  it("with timeoutMs, a submitter still unanswered stops waiting: a waiting item is dropped unwritten, one being written is written anyway", async () => {
    const { flushes, flush, release } = gatedFlush();
    const group = new GroupCommit(flush, { maxBatch: 100, maxInFlight: 1, timeoutMs: 5 });
    const beingWritten = group.submit(1);
    await nextTurn();
    const waiting = group.submit(2);
    await expect(beingWritten).rejects.toBeInstanceOf(GroupCommitTimeout);
    await expect(waiting).rejects.toBeInstanceOf(GroupCommitTimeout);
    expect(group.size).toBe(1);
    release();
    // Answered after the flush: the timed-out one was written, the dropped one never; the next item goes alone.
    expect(await group.submit(3)).toBe(3);
    expect(flushes).toEqual([[1], [3]]);
  });
});
