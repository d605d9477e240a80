import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect } from "vitest";

/** The machine's Redis (CI starts it). */
export const REDIS_URL = "redis://127.0.0.1:6379";

/**
 * A key prefix of this test file's own in the machine's Redis and a client to look at it: every key
 * holding the prefix (Bottleneck's `b_<prefix>…` and Lockstep's `<prefix>…`) is deleted after the
 * file, and checked gone, so no state leaks into another run.
 */
export function useRedisPrefix(): { prefix: string; redis: () => Redis } {
  const prefix = `lockstep-test-${randomUUID()}`;
  let redis: Redis | undefined;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`*${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    expect(await redis.keys(`*${prefix}*`)).toEqual([]);
    redis.disconnect();
  });
  return {
    prefix,
    redis: () => {
      if (!redis) throw new Error("the Redis client opens in beforeAll");
      return redis;
    },
  };
}

