import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coalescedPush } from "../../app/destinations/coalescedPush";
import { httpDestination } from "../../app/destinations/httpDestination";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry";
import { type DestinationSimulator } from "../../simulators/destination/endpoint";
import { startMarketplaceSimulator } from "../../simulators/marketplace/index";
import { ManualClock } from "../outbound/manualClock";

let sim: DestinationSimulator;
const registry = createLimiterRegistry();

beforeAll(async () => {
  sim = await startMarketplaceSimulator();
});
afterAll(async () => {
  await registry.close();
  await sim.close();
});

describe("coalesced pushes to a destination", () => {
  it("ten changes to one item within the window become one push of the latest state", async () => {
    const clock = new ManualClock();
    const destination = httpDestination(
      { id: "marketplace-coalesce", kind: "marketplace", baseUrl: sim.url, ratePerSecond: 2, burst: 5, concurrency: 1 },
      { registry, clock },
    );
    const pushes = coalescedPush<{ sku: string; quantity: number }>(destination, { path: "/v1/listings/inventory", windowMs: 1_000, clock });
    const done = Array.from({ length: 10 }, (_, i) => pushes.push("SKU-1", { sku: "SKU-1", quantity: 10 - i }));
    const other = pushes.push("SKU-2", { sku: "SKU-2", quantity: 4 });
    expect(pushes.pending()).toBe(2);
    await clock.advance(1_000);
    await Promise.all([...done, other]);
    expect(sim.received.map((request) => request.body)).toEqual([
      { sku: "SKU-1", quantity: 1 },
      { sku: "SKU-2", quantity: 4 },
    ]);
    expect(registry.metrics.for("destination:marketplace-coalesce").snapshot()).toMatchObject({ coalesced: 9, requests: 2 });
    expect(new Set(sim.received.map((request) => request.idempotencyKey)).size).toBe(2);
  });
});
