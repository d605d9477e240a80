import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../app/outbound/tokenBucket";
import { manualClock } from "../helpers/clock";

describe("TokenBucket", () => {
  it("starts full, refills at its rate and never above capacity", async () => {
    const clock = manualClock(1_000_000);
    const bucket = new TokenBucket({ capacity: 100, refillPerSecond: 50 }, clock);
    expect(bucket.tryTake(80)).toBe(true);
    expect(bucket.tryTake(30)).toBe(false);
    expect(bucket.available()).toBe(20);
    expect(bucket.waitFor(30)).toBe(200);
    await clock.advance(200);
    expect(bucket.tryTake(30)).toBe(true);
    await clock.advance(60_000);
    expect(bucket.available()).toBe(100);
  });

  it("refunds unused tokens up to capacity", () => {
    const clock = manualClock(1_000_000);
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 1 }, clock);
    bucket.tryTake(8);
    bucket.refund(5);
    expect(bucket.available()).toBe(7);
    bucket.refund(50);
    expect(bucket.available()).toBe(10);
  });

  it("cannot wait for tokens that never come", () => {
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 0 }, manualClock(1_000_000));
    bucket.tryTake(5);
    expect(bucket.waitFor(1)).toBe(Number.POSITIVE_INFINITY);
  });
});
