import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { type CircuitBreakerSettings, type CircuitSnapshot } from "../../app/outbound/circuitBreaker";
import { systemClock } from "../../app/config/clock";
import { rejectedError, throttledError, unavailableError } from "../../app/outbound/errors";
import { SharedCircuitBreaker } from "../../app/outbound/sharedCircuitBreaker.server";
import { until } from "../helpers/expectations";
import { setLogWriter } from "../../app/observability/log.server";

// The machine's Redis; every test uses its own key and deletes it after.
const REDIS_URL = "redis://127.0.0.1:6379";
const admin = new Redis(REDIS_URL);
const connections: Redis[] = [];
const keys: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const connection of connections.splice(0)) connection.disconnect();
  for (const key of keys.splice(0)) {
    const found = await admin.keys(`${key}*`);
    if (found.length > 0) await admin.del(...found);
    expect(await admin.keys(`${key}*`)).toEqual([]);
  }
});
afterAll(() => admin.disconnect());

const fail = () => Promise.reject(unavailableError("erp", "503"));
const succeed = () => Promise.resolve("ok");

/** A connection as a process has one (the registry's options). */
function connect(): Redis {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 3, enableOfflineQueue: true });
  connections.push(connection);
  return connection;
}

/** `count` breakers of one destination, each with its own connection: processes sharing one circuit. */
function cluster(count: number, settings: Partial<CircuitBreakerSettings> = {}, probeClaimMs = 10_000): SharedCircuitBreaker[] {
  const key = `lockstep-test-${randomUUID()}:destination:erp`;
  keys.push(key);
  const all = { failureThreshold: 3, openMs: 60_000, maxOpenMs: 120_000, ...settings };
  return Array.from({ length: count }, () => new SharedCircuitBreaker("destination:erp", all, systemClock, { redis: connect(), key }, { probeClaimMs }));
}

/** Resolves once `condition` holds, looking again every few milliseconds. */
/** Once the shared pause is over (as the cluster sees it). */
async function pauseOver(breaker: SharedCircuitBreaker): Promise<void> {
  await until(async () => {
    await breaker.refresh();
    return breaker.snapshot().state === "half_open";
  });
}

function pauseOf(snapshot: CircuitSnapshot): number | undefined {
  return snapshot.retryAt === undefined || snapshot.openedAt === undefined ? undefined : snapshot.retryAt - snapshot.openedAt;
}

describe("a circuit shared through Redis", () => {
  it("counts failures from every process together and opens for all at the threshold", async () => {
    const [a, b, watcher] = cluster(3);
    await a!.run(fail).catch(() => undefined);
    await b!.run(fail).catch(() => undefined);
    expect(a!.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 1 });
    await a!.run(fail).catch(() => undefined);
    expect(a!.snapshot()).toMatchObject({ state: "open", consecutiveFailures: 3, lastError: "503" });

    // B learns it at its next decision, before calling.
    const call = vi.fn(succeed);
    await expect(b!.run(call)).rejects.toMatchObject({ code: "circuit_open" });
    expect(call).not.toHaveBeenCalled();
    // Then refuses before queuing, without asking Redis.
    expect(() => b!.refuseIfOpen()).toThrow(expect.objectContaining({ code: "circuit_open" }));
    // A process that never called sees it on refresh (the dashboard's view).
    expect(watcher!.snapshot().state).toBe("closed");
    await watcher!.refresh();
    expect(watcher!.snapshot()).toMatchObject({ state: "open", consecutiveFailures: 3 });
  });

  it("a success anywhere resets the count; rejections of a payload and throttles do not count", async () => {
    const [a, b] = cluster(2);
    await a!.run(fail).catch(() => undefined);
    await a!.run(fail).catch(() => undefined);
    await b!.run(succeed);
    for (let i = 0; i < 3; i++) {
      await a!.run(() => Promise.reject(rejectedError("erp", "bad item", 400))).catch(() => undefined);
      await b!.run(() => Promise.reject(throttledError("erp", "429", 100))).catch(() => undefined);
    }
    await a!.run(fail).catch(() => undefined);
    expect(a!.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 1 });
  });

  it("lets one probe through in the whole cluster when the pause ends; its success closes the circuit for all", async () => {
    const [a, b] = cluster(2, { failureThreshold: 1, openMs: 50 });
    const states: CircuitSnapshot["state"][] = [];
    b!.onChange((snapshot) => states.push(snapshot.state));
    await a!.run(fail).catch(() => undefined);
    await pauseOver(b!);

    let release!: () => void;
    const probe = a!.run(() => new Promise<string>((resolve) => (release = () => resolve("probe"))));
    await until(() => release !== undefined);
    const call = vi.fn(succeed);
    await expect(b!.run(call)).rejects.toMatchObject({ code: "circuit_open" });
    await expect(a!.run(call)).rejects.toMatchObject({ code: "circuit_open" });
    expect(call).not.toHaveBeenCalled();

    release();
    await expect(probe).resolves.toBe("probe");
    expect(a!.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    await expect(b!.run(call)).resolves.toBe("ok");
    expect(b!.snapshot().state).toBe("closed");
    expect(states.slice(-2)).toEqual(["half_open", "closed"]);
  });

  it("a failed probe doubles the pause for all, up to maxOpenMs", async () => {
    const [a, b] = cluster(2, { failureThreshold: 1, openMs: 40, maxOpenMs: 100 });
    await a!.run(fail).catch(() => undefined);
    expect(pauseOf(a!.snapshot())).toBe(40);
    await pauseOver(b!);
    await b!.run(fail).catch(() => undefined);
    await a!.refresh();
    expect(a!.snapshot().state).not.toBe("closed");
    expect(pauseOf(a!.snapshot())).toBe(80);
    await pauseOver(a!);
    await a!.run(fail).catch(() => undefined);
    await b!.refresh();
    expect(pauseOf(b!.snapshot())).toBe(100);
    await pauseOver(b!);
    await b!.run(succeed);
    await a!.run(fail).catch(() => undefined);
    // Closed again, and the next opening starts from the first pause.
    expect(pauseOf(a!.snapshot())).toBe(40);
  });

  it("a probe whose claimer never answers (a dead process) stops holding the circuit once its claim expires", async () => {
    const [dying, other] = cluster(2, { failureThreshold: 1, openMs: 20 }, 100);
    await dying!.run(fail).catch(() => undefined);
    await pauseOver(other!);
    let claimed = false;
    // Never settles, as if its process had died with the call out.
    void dying!.run(() => {
      claimed = true;
      return new Promise<never>(() => undefined);
    });
    await until(() => claimed);
    const call = vi.fn(succeed);
    await until(() => other!.run(call).then(() => true, () => false));
    expect(call).toHaveBeenCalledTimes(1);
    await dying!.refresh();
    expect(dying!.snapshot().state).toBe("closed");
  });

  it("a probe that answers after its claim expired and was taken over does not double the pause again", async () => {
    const [late, other] = cluster(2, { failureThreshold: 1, openMs: 20, maxOpenMs: 10_000 }, 50);
    await late!.run(fail).catch(() => undefined);
    await pauseOver(other!);
    let answer!: (error: Error) => void;
    const lateProbe = late!.run(() => new Promise<never>((_resolve, reject) => (answer = reject)));
    await until(() => answer !== undefined);
    await until(() => other!.run(fail).then(() => false, (error: { code?: string }) => error.code === "outbound_unavailable"));
    answer(unavailableError("erp", "503 late"));
    await lateProbe.catch(() => undefined);
    await other!.refresh();
    expect(other!.snapshot().consecutiveFailures).toBe(3);
    expect(pauseOf(other!.snapshot())).toBe(40);
  });
});

/** The log lines about the shared circuit, as the logger writes them (JSON). */
function captureCircuitLog(): string[] {
  const lines: string[] = [];
  setLogWriter((line) => {
    if (line.includes("shared circuit")) lines.push(line);
  });
  return lines;
}

describe("a shared circuit when Redis cannot be reached", () => {
  afterEach(() => setLogWriter((line) => process.stdout.write(`${line}\n`)));

  it("decides in this process alone, as the in-memory breaker does, and says so once", async () => {
    const logged = captureCircuitLog();
    // Nothing listens on port 1: every command fails at once.
    const unreachable = new Redis("redis://127.0.0.1:1", { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    unreachable.on("error", () => undefined);
    connections.push(unreachable);
    const breaker = new SharedCircuitBreaker("destination:erp", { failureThreshold: 2, openMs: 60_000, maxOpenMs: 120_000 }, systemClock, { redis: unreachable, key: "unused" }, { probeClaimMs: 1_000 });
    const states: CircuitSnapshot["state"][] = [];
    breaker.onChange((snapshot) => states.push(snapshot.state));

    await expect(breaker.run(succeed)).resolves.toBe("ok");
    await breaker.run(fail).catch(() => undefined);
    await breaker.run(fail).catch(() => undefined);
    const call = vi.fn(succeed);
    await expect(breaker.run(call)).rejects.toMatchObject({ code: "circuit_open" });
    expect(() => breaker.refuseIfOpen()).toThrow(expect.objectContaining({ code: "circuit_open" }));
    expect(call).not.toHaveBeenCalled();
    await breaker.refresh();
    expect(breaker.snapshot()).toMatchObject({ state: "open", consecutiveFailures: 2 });
    expect(states).toEqual(["open"]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain("decides alone");
  });

  it("goes back to the shared circuit when Redis answers again, where nothing was lost or double-counted", async () => {
    const logged = captureCircuitLog();
    const [a, b] = cluster(2);
    const redisOfA = (a as unknown as { shared: { redis: Redis } }).shared.redis;
    await a!.run(fail).catch(() => undefined);

    redisOfA.disconnect();
    // A decides alone: its own fresh count.
    await a!.run(fail).catch(() => undefined);
    await a!.run(fail).catch(() => undefined);
    expect(a!.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 2 });
    expect(logged).toHaveLength(1);

    await redisOfA.connect();
    await a!.run(fail).catch(() => undefined);
    expect(a!.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 2 });
    expect(logged).toHaveLength(2);
    expect(logged[1]).toContain("reachable again");
    await b!.run(fail).catch(() => undefined);
    expect(b!.snapshot()).toMatchObject({ state: "open", consecutiveFailures: 3 });
  });

  it("an outcome Redis cannot take is lost, and the caller still gets the call's own answer", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const [a, b] = cluster(2);
    const redisOfA = (a as unknown as { shared: { redis: Redis } }).shared.redis;
    await expect(
      a!.run(() => {
        redisOfA.disconnect();
        return fail();
      }),
    ).rejects.toMatchObject({ code: "outbound_unavailable" });
    await b!.refresh();
    expect(b!.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0 });
  });
});
