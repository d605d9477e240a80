import { describe, expect, it } from "vitest";
import { Coalescer } from "../../app/outbound/coalescer";
import { manualClock } from "../helpers/clock";

describe("Coalescer", () => {
  it("turns ten changes to one item inside the window into one call with the latest value", async () => {
    const clock = manualClock(1_000_000);
    const delivered: Array<[string, number]> = [];
    let coalesced = 0;
    const coalescer = new Coalescer<number, string>({
      windowMs: 1_000,
      clock,
      deliver: async (key, value) => {
        delivered.push([key, value]);
        return `sent ${value}`;
      },
      onCoalesced: () => coalesced++,
    });
    const results = Array.from({ length: 10 }, (_, i) => coalescer.submit("sku-1", i));
    const other = coalescer.submit("sku-2", 42);
    await clock.advance(1_000);
    expect(await Promise.all(results)).toEqual(Array(10).fill("sent 9"));
    expect(await other).toBe("sent 42");
    expect(delivered).toEqual([
      ["sku-1", 9],
      ["sku-2", 42],
    ]);
    expect(coalesced).toBe(9);
  });

  it("merges with a custom fold and never overlaps two calls for one key", async () => {
    const clock = manualClock(1_000_000);
    const order: string[] = [];
    let finishFirst!: () => void;
    const coalescer = new Coalescer<number, number>({
      windowMs: 100,
      clock,
      merge: (a, b) => a + b,
      deliver: async (key, value) => {
        order.push(`start ${value}`);
        if (value === 3) await new Promise<void>((resolve) => (finishFirst = resolve));
        order.push(`end ${value}`);
        return value;
      },
    });
    const first = coalescer.submit("item", 1);
    void coalescer.submit("item", 2);
    await clock.advance(100);
    const second = coalescer.submit("item", 10);
    await clock.advance(100);
    // The second window is over but the first call is still running: the second waits.
    expect(order).toEqual(["start 3"]);
    finishFirst();
    expect(await first).toBe(3);
    expect(await second).toBe(10);
    expect(order).toEqual(["start 3", "end 3", "start 10", "end 10"]);
  });

  it("gives every submitter the failure of the shared call", async () => {
    const clock = manualClock(1_000_000);
    const coalescer = new Coalescer<number, void>({ windowMs: 10, clock, deliver: async () => Promise.reject(new Error("down")) });
    const a = coalescer.submit("k", 1);
    const b = coalescer.submit("k", 2);
    await clock.advance(10);
    await expect(a).rejects.toThrow("down");
    await expect(b).rejects.toThrow("down");
    expect(coalescer.pendingCount()).toBe(0);
  });
});
