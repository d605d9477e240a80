import { describe, expect, it } from "vitest";
import { CircuitBreaker, type CircuitSnapshot } from "../../app/outbound/circuitBreaker";
import { rejectedError, throttledError, unavailableError } from "../../app/outbound/errors";
import { manualClock } from "../helpers/clock";

const settings = { failureThreshold: 3, openMs: 1_000, maxOpenMs: 3_000 };
const fail = () => Promise.reject(unavailableError("erp", "503"));
const succeed = () => Promise.resolve("ok");

describe("CircuitBreaker", () => {
  it("opens after consecutive failures and rejects without calling", async () => {
    const clock = manualClock(1_000_000);
    const breaker = new CircuitBreaker("erp", settings, clock);
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toMatchObject({ code: "outbound_unavailable" });
    expect(breaker.snapshot().state).toBe("open");
    let called = false;
    const error = await breaker
      .run(async () => {
        called = true;
      })
      .catch((caught: unknown) => caught);
    expect(called).toBe(false);
    expect(error).toMatchObject({ code: "circuit_open", details: { retryAfterMs: 1_000 } });
  });

  it("lets one probe through after the pause and closes when it succeeds", async () => {
    const clock = manualClock(1_000_000);
    const breaker = new CircuitBreaker("erp", settings, clock);
    const states: CircuitSnapshot["state"][] = [];
    breaker.onChange((snapshot) => states.push(snapshot.state));
    for (let i = 0; i < 3; i++) await breaker.run(fail).catch(() => undefined);
    await clock.advance(1_000);
    expect(breaker.snapshot().state).toBe("half_open");
    let release!: () => void;
    const probe = breaker.run(() => new Promise<string>((resolve) => (release = () => resolve("probe"))));
    // A second call while the probe is out is refused.
    await expect(breaker.run(succeed)).rejects.toMatchObject({ code: "circuit_open" });
    release();
    await expect(probe).resolves.toBe("probe");
    expect(breaker.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    expect(states).toEqual(["open", "half_open", "closed"]);
  });

  it("re-opens for longer when the probe fails", async () => {
    const clock = manualClock(1_000_000);
    const breaker = new CircuitBreaker("erp", settings, clock);
    for (let i = 0; i < 3; i++) await breaker.run(fail).catch(() => undefined);
    await clock.advance(1_000);
    await breaker.run(fail).catch(() => undefined);
    expect(breaker.snapshot()).toMatchObject({ state: "open", retryAt: clock.now() + 2_000 });
    await clock.advance(1_000);
    expect(breaker.snapshot().state).toBe("open");
    await clock.advance(1_000);
    expect(breaker.snapshot().state).toBe("half_open");
  });

  it("ignores rejections of one payload and throttles: they say nothing about the destination's health", async () => {
    const clock = manualClock(1_000_000);
    const breaker = new CircuitBreaker("erp", settings, clock);
    for (let i = 0; i < 5; i++) {
      await breaker.run(() => Promise.reject(rejectedError("erp", "bad item", 400))).catch(() => undefined);
      await breaker.run(() => Promise.reject(throttledError("erp", "429", 100))).catch(() => undefined);
    }
    expect(breaker.snapshot().state).toBe("closed");
  });

  it("a success resets the failure count", async () => {
    const clock = manualClock(1_000_000);
    const breaker = new CircuitBreaker("erp", settings, clock);
    await breaker.run(fail).catch(() => undefined);
    await breaker.run(fail).catch(() => undefined);
    await breaker.run(succeed);
    await breaker.run(fail).catch(() => undefined);
    expect(breaker.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 1 });
  });
});
