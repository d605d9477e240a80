import { describe, expect, it } from "vitest";
import { quantileFromBuckets } from "../../app/observability/quantiles";

describe("quantileFromBuckets", () => {
  const buckets = [
    { le: 10, count: 50 },
    { le: 20, count: 90 },
    { le: 50, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it("interpolates inside the bucket that holds the rank", () => {
    expect(quantileFromBuckets(buckets, 0.5)).toBe(10);
    expect(quantileFromBuckets(buckets, 0.7)).toBe(15);
    expect(quantileFromBuckets(buckets, 0.95)).toBe(35);
  });

  it("reports the lower edge of the open-ended bucket and null for no data", () => {
    expect(quantileFromBuckets([{ le: 5, count: 1 }, { le: Infinity, count: 10 }], 0.99)).toBe(5);
    expect(quantileFromBuckets([{ le: 5, count: 0 }, { le: Infinity, count: 0 }], 0.5)).toBeNull();
  });
});
