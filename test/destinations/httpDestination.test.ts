import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type DestinationConfig, destinationStates, httpDestination } from "../../app/destinations/httpDestination.server";
import { createLimiterRegistry, type LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { type DestinationSimulator } from "../../simulators/destination/endpoint";
import { startErpSimulator } from "../../simulators/erp/index";
import { startMarketplaceSimulator } from "../../simulators/marketplace/index";
import { manualClock, recordingClock } from "../helpers/clock";

const simulators: DestinationSimulator[] = [];
const registries: LimiterRegistry[] = [];

afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});
afterAll(async () => {
  await Promise.all(simulators.map((sim) => sim.close()));
});

async function erp(limits = { ratePerSecond: 50, burst: 5, retryAfterSeconds: 2 }) {
  const sim = await startErpSimulator({ limits });
  simulators.push(sim);
  return sim;
}

function registry() {
  const created = createLimiterRegistry();
  registries.push(created);
  return created;
}

const config = (sim: DestinationSimulator, overrides: Partial<DestinationConfig> = {}): DestinationConfig => ({
  id: `erp-${simulators.length}-${Math.random().toString(36).slice(2)}`,
  kind: "erp",
  baseUrl: sim.url,
  // Headroom below the simulated ERP's 50/s and burst 5: network jitter can bunch arrivals.
  ratePerSecond: 30,
  burst: 3,
  concurrency: 2,
  ...overrides,
});

describe("HTTP destinations: configured rate, burst and concurrency", () => {
  it("stays inside the destination's own limit: every push accepted, not one 429", async () => {
    const sim = await erp();
    const destination = httpDestination(config(sim), { registry: registry() });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => destination.send("/api/inventory", { sku: `A-${i}`, available: i })));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(sim.stats()).toMatchObject({ accepted: 30, tooManyRequests: 0 });
    const state = await destination.state();
    expect(state).toMatchObject({ kind: "erp", circuit: { state: "closed" }, queued: 0, running: 0, metrics: { requests: 30, throttles: 0 } });
  });

  it("honours Retry-After on a 429 before trying again", async () => {
    const sim = await erp();
    const clock = recordingClock();
    const destination = httpDestination(config(sim), { registry: registry(), clock });
    sim.injectFault("http429");
    await destination.send("/api/prices", { sku: "A", price: "9.99" });
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(2_000);
    expect(sim.stats()).toMatchObject({ tooManyRequests: 1, accepted: 1 });
  });

  it("retries a 503 and sends the same Idempotency-Key, so a lost answer is not applied twice", async () => {
    const sim = await startMarketplaceSimulator();
    simulators.push(sim);
    const destination = httpDestination({ ...config(sim), kind: "marketplace" }, { registry: registry(), clock: recordingClock() });
    sim.injectFault("drop-after-apply");
    await destination.send("/v1/listings/inventory", { sku: "A", quantity: 3 }, { idempotencyKey: "push-1" });
    expect(sim.received).toHaveLength(1);
    expect(sim.received[0]).toMatchObject({ idempotencyKey: "push-1", body: { sku: "A", quantity: 3 } });
    expect(sim.stats().duplicates).toBe(1);
  });

  it("a 400 is a rejection of that payload: not retried", async () => {
    const sim = await erp();
    const clock = recordingClock();
    const destination = httpDestination(config(sim), { registry: registry(), clock });
    sim.injectFault("http400");
    await expect(destination.send("/api/inventory", {})).rejects.toMatchObject({ code: "outbound_rejected", details: { httpStatus: 400 } });
    expect(clock.sleeps).toEqual([]);
  });

  it("takes on changed limits for the same destination", async () => {
    const sim = await startErpSimulator({ latencyMs: 150, limits: { ratePerSecond: 100, burst: 10 } });
    simulators.push(sim);
    const shared = registry();
    const first = httpDestination(config(sim, { id: "erp-changing", concurrency: 2 }), { registry: shared });
    expect(httpDestination(config(sim, { id: "erp-changing", concurrency: 2 }), { registry: shared })).toBe(first);
    const changed = httpDestination(config(sim, { id: "erp-changing", concurrency: 1 }), { registry: shared });
    expect(changed).not.toBe(first);
    const sends = [changed.send("/api/inventory", { sku: "A" }), changed.send("/api/inventory", { sku: "B" })];
    // Poll (bounded) until one push is out: with concurrency 1 the other must wait its turn.
    for (let i = 0; i < 2_000 && (await changed.state()).running === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(await changed.state()).toMatchObject({ running: 1, queued: 1 });
    await Promise.all(sends);
    expect(sim.received).toHaveLength(2);
  });
});

describe("HTTP destinations: circuit breaker", () => {
  it("opens after repeated failures, stops calling, probes after the pause and closes when the destination is back", async () => {
    const sim = await erp();
    const clock = manualClock(1_000_000);
    const destination = httpDestination(config(sim, { breaker: { failureThreshold: 3, openMs: 5_000 }, retry: { maxAttempts: 1 } }), {
      registry: registry(),
      clock,
    });
    sim.setDown(true);
    for (let i = 0; i < 3; i++) await expect(destination.send("/api/inventory", { i })).rejects.toMatchObject({ code: "outbound_unavailable" });
    expect((await destination.state()).circuit.state).toBe("open");
    expect((await destination.state()).metrics.circuitState).toBe("open");
    const requestsWhileOpen = sim.stats().requests;
    await expect(destination.send("/api/inventory", { i: 4 })).rejects.toMatchObject({ code: "circuit_open", details: { retryAfterMs: 5_000 } });
    expect(sim.stats().requests).toBe(requestsWhileOpen);
    const states = await destinationStates(registries[registries.length - 1]!);
    expect(states.map((state) => [state.id, state.circuit.state])).toEqual([[destination.config.id, "open"]]);

    sim.setDown(false);
    await clock.advance(5_000);
    expect((await destination.state()).circuit.state).toBe("half_open");
    await expect(destination.send("/api/inventory", { i: 5 })).resolves.toMatchObject({ status: 200 });
    expect((await destination.state()).circuit).toMatchObject({ state: "closed", consecutiveFailures: 0 });
  });

  it("a failed probe keeps the circuit open", async () => {
    const sim = await erp();
    const clock = manualClock(1_000_000);
    const destination = httpDestination(config(sim, { breaker: { failureThreshold: 1, openMs: 1_000 }, retry: { maxAttempts: 1 } }), {
      registry: registry(),
      clock,
    });
    sim.setDown(true);
    await destination.send("/x", {}).catch(() => undefined);
    await clock.advance(1_000);
    await expect(destination.send("/x", {})).rejects.toMatchObject({ code: "outbound_unavailable" });
    expect((await destination.state()).circuit.state).toBe("open");
  });

  it("an unreachable destination counts as failing", async () => {
    const sim = await erp();
    await sim.close();
    const destination = httpDestination(config(sim, { breaker: { failureThreshold: 2 }, retry: { maxAttempts: 1 } }), { registry: registry() });
    await expect(destination.send("/x", {})).rejects.toMatchObject({ code: "outbound_unavailable" });
    await expect(destination.send("/x", {})).rejects.toMatchObject({ code: "outbound_unavailable" });
    expect((await destination.state()).circuit.state).toBe("open");
  });
});
