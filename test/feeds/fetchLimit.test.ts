import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/config/config.server";
import { type AppContext, closeAppContext, createAppContext } from "../../app/context.server";
import { feedFetchLimit } from "../../app/feeds/google/fetchLimit.server";
import { registerFeedRoutes } from "../../app/feeds/google/serve.server";
import type { LimiterRegistry } from "../../app/outbound/limiterRegistry.server";
import { Router } from "../../app/http/router.server";
import { useTestDatabase } from "../helpers/database";
import { REDIS_URL, useRedisPrefix } from "../helpers/redis";
import { STANDALONE_ENV } from "../helpers/server";

const db = useTestDatabase();
const { prefix } = useRedisPrefix();

/** One web process: its own app context (limiter registry) and HTTP server serving /feeds. */
async function webProcess(env: Record<string, string>): Promise<{ context: AppContext; server: Server; fetchFeed: (feedId: string) => Promise<number> }> {
  const context = createAppContext(loadConfig({ ...STANDALONE_ENV, ...env }), db());
  const router = new Router();
  // One fetch per 100 s, a burst of one: a second fetch within the test is always over the allowance.
  registerFeedRoutes(router, { sql: context.db.sql, encryptionKey: context.config.encryptionKey, registry: context.outbound, fetchesPerSecond: 0.01 });
  const server = createServer((req, res) => {
    if (!router.handle(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { context, server, fetchFeed: async (feedId) => (await fetch(`${base}/feeds/${feedId}/some-token/products.xml`)).status };
}

describe("the per-feed fetch limit across web processes", () => {
  const processes: Array<Awaited<ReturnType<typeof webProcess>>> = [];
  beforeAll(async () => {
    const redis = { REDIS_URL, LOCKSTEP_LIMITER_PREFIX: prefix };
    processes.push(await webProcess(redis), await webProcess(redis), await webProcess({}), await webProcess({}));
  });
  afterAll(async () => {
    for (const { context, server } of processes) {
      await new Promise((resolve) => server.close(resolve));
      await closeAppContext(context);
    }
  });

  it("with Redis, two processes share one allowance per feed: the fetch one process let through is counted by the other", async () => {
    const [a, b] = processes;
    const feed = randomUUID();
    // 404: past the limit, then refused for the unknown token (nothing revealed).
    expect(await a!.fetchFeed(feed)).toBe(404);
    expect(await b!.fetchFeed(feed)).toBe(429);
    expect(await a!.fetchFeed(feed)).toBe(429);
    // Another feed has its own allowance.
    expect(await b!.fetchFeed(randomUUID())).toBe(404);
  });

  it("without Redis each process limits on its own (one web process per database)", async () => {
    const [, , c, d] = processes;
    const feed = randomUUID();
    expect(await c!.fetchFeed(feed)).toBe(404);
    expect(await d!.fetchFeed(feed)).toBe(404);
    expect(await c!.fetchFeed(feed)).toBe(429);
  });
});

describe("the fetch limit when Redis fails", () => {
  it("limits in the process instead of letting every fetch through or failing it", async () => {
    const broken = { eval: () => Promise.reject(new Error("Connection is closed.")) };
    const registry = { sharedState: () => ({ redis: broken, key: "k" }) } as unknown as LimiterRegistry;
    const limited = feedFetchLimit({ ratePerSecond: 0.01, registry, now: () => 0 });
    const feed = randomUUID();
    expect(await limited(feed)).toBeUndefined();
    expect(await limited(feed)).toBe(100);
  });
});
