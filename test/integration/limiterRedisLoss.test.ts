import { afterAll, expect, it } from "vitest";
import { createLimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { REDIS_URL, useRedisPrefix } from "../helpers/redis";

// Found by the chaos run: after a Redis restart every destination run failed with
// "ERR SETTINGS_KEY_NOT_FOUND" / "ERR UNKNOWN_CLIENT" until the process restarted. Losing the
// limiter's keys (restart, flush, the idle store's expiry) must cost nothing but their re-creation.
const { prefix, redis } = useRedisPrefix();
const registry = createLimiterRegistry({ redisUrl: REDIS_URL, prefix });
afterAll(() => registry.close());

it("a clustered limiter whose Redis state was lost re-creates it and runs the next job", async () => {
  const limiter = registry.limiter({ kind: "destination", id: "lost-state" }, { maxConcurrent: 2, refill: { perSecond: 100, maximum: 10 }, reservoir: 10 });
  expect(await limiter.schedule(async () => "before")).toBe("before");

  // What a restarted Redis holds of this limiter: nothing (its settings and its client registration).
  const keys = await redis().keys(`*${prefix}*`);
  expect(keys.length).toBeGreaterThan(0);
  await redis().del(...keys);

  expect(await limiter.schedule(async () => "after")).toBe("after");
  expect(await limiter.schedule(async () => "again")).toBe("again");
});
