import { describe, expect, it } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { rejectedError, throttledError, unavailableError } from "../../app/outbound/errors";
import { nextAttemptAt, parseRetryAfter, retryDelay, withRetries } from "../../app/outbound/retryPolicy";
import { recordingClock } from "../helpers/clock";

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

describe("retryDelay", () => {
  it("grows exponentially under full jitter and is capped", () => {
    expect(retryDelay(policy, 1, () => 0.999)).toBe(99);
    expect(retryDelay(policy, 3, () => 0.999)).toBe(399);
    expect(retryDelay(policy, 10, () => 0.999)).toBe(999);
    expect(retryDelay(policy, 3, () => 0)).toBe(0);
  });

  it("never comes back before the wait the server asked for", () => {
    expect(retryDelay(policy, 1, () => 0, 2_500)).toBe(2_500);
    expect(retryDelay(policy, 5, () => 0.999, 2_500)).toBeGreaterThanOrEqual(2_500);
    expect(retryDelay(policy, 5, () => 0.999, 2_500)).toBeLessThan(2_600);
  });
});

describe("nextAttemptAt", () => {
  it("is now plus the backoff while attempts remain, and null (a dead letter) once they are spent", () => {
    const now = new Date("2026-12-01T12:00:00Z");
    expect(nextAttemptAt(policy, 3, now, () => 0.999)).toEqual(new Date(now.getTime() + 399));
    expect(nextAttemptAt(policy, 4, now, () => 0.999)).toBeNull();
    expect(nextAttemptAt(policy, 9, now, () => 0)).toBeNull();
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-27T10:00:00Z");
  it("reads delay-seconds and HTTP dates", () => {
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter("0.5", now)).toBe(500);
    expect(parseRetryAfter("Fri, 27 Nov 2026 10:00:07 GMT", now)).toBe(7_000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 09:00:00 GMT", now)).toBe(0);
  });
  it("ignores missing or unreadable values", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("withRetries", () => {
  it("retries throttles and transient failures, honouring retryAfterMs", async () => {
    const clock = recordingClock();
    const failures = [throttledError("t", "slow down", 1_200), unavailableError("t", "503")];
    let calls = 0;
    const result = await withRetries({ policy, clock, random: () => 0 }, async () => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return "ok";
    });
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(clock.sleeps[0]).toBe(1_200);
  });

  it("retries network errors such as a refused connection", async () => {
    const clock = recordingClock();
    let calls = 0;
    const result = await withRetries({ policy, clock, random: () => 0.5 }, async () => {
      if (++calls < 2) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
      return calls;
    });
    expect(result).toBe(2);
  });

  it("does not retry a rejection", async () => {
    const clock = recordingClock();
    let calls = 0;
    await expect(
      withRetries({ policy, clock, random: () => 0 }, async () => {
        calls++;
        throw rejectedError("t", "bad payload", 400);
      }),
    ).rejects.toMatchObject({ code: "outbound_rejected" });
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("gives up after maxAttempts with the last error and counts retries", async () => {
    const clock = recordingClock();
    const retries: number[] = [];
    let calls = 0;
    const error = await withRetries({ policy, clock, random: () => 0, onRetry: ({ attempt }) => retries.push(attempt) }, async () => {
      calls++;
      throw unavailableError("t", "down");
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LockstepError);
    expect(calls).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
  });

  it("does not retry programming errors", async () => {
    const clock = recordingClock();
    await expect(withRetries({ policy, clock, random: () => 0 }, async () => Promise.reject(new RangeError("bug")))).rejects.toThrow("bug");
    expect(clock.sleeps).toEqual([]);
  });
});
