import { type ChildProcess, fork } from "node:child_process";
import * as net from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startBigCommerceSimulator } from "../../simulators/bigcommerce/server";
import { startErpSimulator } from "../../simulators/erp/index";
import { startShopifySimulator } from "../../simulators/shopify/server";
import { until } from "../helpers/expectations";
import { REDIS_URL, useRedisPrefix } from "../helpers/redis";

// The machine's Redis; this file's own key prefix, its keys removed after the file.
const { prefix, redis } = useRedisPrefix();
const CHILD = join(import.meta.dirname, "fixtures", "sharedBudgetChild.ts");

interface ChildResult {
  ok: number;
  failed: number;
  errors: string[];
  clustered: boolean;
}

/** Forks one child with `env`: `ready` once it is loaded, `result` once it has reported. */
function forkChild(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; result: Promise<ChildResult> } {
  const child = fork(CHILD, [], { execArgv: ["--unhandled-rejections=strict", "--import", "tsx"], env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = new Promise<void>((resolve) => child.once("message", () => resolve()));
  const result = new Promise<ChildResult>((resolve, reject) => {
    child.on("message", (message) => {
      if (typeof message === "object") resolve(message as ChildResult);
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before reporting`)));
  });
  return { child, ready, result };
}

/** Forks `processes` children with `env`, starts them together, returns what each reports. */
async function runChildren(processes: number, env: Record<string, string>): Promise<ChildResult[]> {
  const forked = Array.from({ length: processes }, () => forkChild(env));
  try {
    await Promise.all(forked.map(({ ready }) => ready));
    for (const { child } of forked) child.send("go");
    return await Promise.all(forked.map(({ result }) => result));
  } finally {
    for (const { child } of forked) if (child.exitCode === null) child.kill();
  }
}

describe("two processes sharing one Redis-clustered limiter stay within one budget", () => {
  it("destination: two processes each allowed the whole rate still never get a 429 together", async () => {
    // The ERP accepts 20/s with a burst of 5; each process is configured for 15/s, burst 3 (the
    // headroom absorbs network jitter bunching requests together on arrival).
    const sim = await startErpSimulator({ limits: { ratePerSecond: 20, burst: 5, retryAfterSeconds: 1 } });
    try {
      const results = await runChildren(2, {
        CHILD_TARGET: "destination",
        CHILD_REDIS_URL: REDIS_URL,
        CHILD_PREFIX: prefix,
        CHILD_URL: sim.url,
        CHILD_DESTINATION: "erp-shared",
        CHILD_REQUESTS: "25",
      });
      expect(results.map((result) => result.clustered)).toEqual([true, true]);
      expect(results.map((result) => result.failed), JSON.stringify(results.map((result) => result.errors))).toEqual([0, 0]);
      expect(sim.stats()).toMatchObject({ accepted: 50, tooManyRequests: 0 });
      expect((await redis().keys(`b_${prefix}:destination:erp-shared*`)).length).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it("control: the same two processes with in-process limiters overrun the ERP", async () => {
    const sim = await startErpSimulator({ limits: { ratePerSecond: 20, burst: 5, retryAfterSeconds: 1 } });
    try {
      const results = await runChildren(2, {
        CHILD_TARGET: "destination",
        CHILD_REDIS_URL: "",
        CHILD_PREFIX: prefix,
        CHILD_URL: sim.url,
        CHILD_DESTINATION: "erp-local",
        CHILD_REQUESTS: "25",
      });
      expect(results.map((result) => result.clustered)).toEqual([false, false]);
      expect(sim.stats().tooManyRequests).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it.each([
    { processes: 2, requests: 25 },
    { processes: 3, requests: 15 },
  ])("BigCommerce: $processes processes share one store's quota windows: every request served, not one 429", async ({ processes, requests }) => {
    const storeHash = `shared${processes}`;
    const sim = await startBigCommerceSimulator({
      stores: [{ storeHash, accessToken: "bc_shared", quota: { requests: 20, windowMs: 1_000 }, seed: { products: 3 } }],
    });
    try {
      // More requests than one window holds: each new window is probed by one process only, and
      // only the first answer from it sets the shared allowance.
      const results = await runChildren(processes, {
        CHILD_TARGET: "bigcommerce",
        CHILD_REDIS_URL: REDIS_URL,
        CHILD_PREFIX: prefix,
        CHILD_URL: sim.url,
        CHILD_STORE: storeHash,
        CHILD_REQUESTS: String(requests),
        CHILD_ATTEMPTS: "3",
      });
      expect(results.map((result) => result.failed), JSON.stringify(results.map((result) => result.errors))).toEqual(results.map(() => 0));
      const stats = sim.stats(storeHash);
      expect(stats, JSON.stringify(stats.usedPerWindow)).toMatchObject({ served: processes * requests, tooManyRequests: 0 });
      expect(stats.windowsStarted).toBeGreaterThanOrEqual(Math.ceil((processes * requests) / 20));
    } finally {
      await sim.close();
    }
  });

  it("BigCommerce: a process that dies while holding the probe claim does not stall the others", async () => {
    // Process A's probe goes to a server that never answers, and A is killed with it out; B then
    // finds the window unopened and A's claim held, and must probe once the claim expires.
    const reached: net.Socket[] = [];
    const silent = net.createServer((socket) => void reached.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const sim = await startBigCommerceSimulator({
      stores: [{ storeHash: "orphaned", accessToken: "bc_shared", quota: { requests: 20, windowMs: 1_000 }, seed: { products: 3 } }],
    });
    const common = { CHILD_TARGET: "bigcommerce", CHILD_REDIS_URL: REDIS_URL, CHILD_PREFIX: prefix, CHILD_STORE: "orphaned", CHILD_ATTEMPTS: "1" };
    const dying = forkChild({ ...common, CHILD_URL: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, CHILD_REQUESTS: "1", CHILD_PROBE_CLAIM_MS: "1000" });
    // It is killed, so it never reports.
    dying.result.catch(() => undefined);
    try {
      await dying.ready;
      dying.child.send("go");
      await until(() => reached.length > 0);
      expect(await redis().exists(`${prefix}:bigcommerce:orphaned:probe-claim`)).toBe(1);
      dying.child.kill("SIGKILL");
      await until(() => dying.child.exitCode !== null || dying.child.signalCode !== null);

      const [result] = await runChildren(1, { ...common, CHILD_URL: sim.url, CHILD_REQUESTS: "25" });
      expect(result!.failed, JSON.stringify(result!.errors)).toBe(0);
      expect(sim.stats("orphaned")).toMatchObject({ served: 25, tooManyRequests: 0 });
    } finally {
      for (const socket of reached) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await sim.close();
    }
  });

  it("Shopify: two processes share one shop's cost bucket with no THROTTLED answer", async () => {
    const shop = "shared.myshopify.com";
    const sim = await startShopifySimulator({
      shops: [{ domain: shop, accessToken: "shpat_shared", bucket: { maximumAvailable: 200, restoreRate: 500 }, seed: { products: 10, variantsPerProduct: 1 } }],
    });
    try {
      // 2 × 15 requests × 33 points = 990 points through a 200-point bucket restoring 500/s.
      const results = await runChildren(2, {
        CHILD_TARGET: "shopify",
        CHILD_REDIS_URL: REDIS_URL,
        CHILD_PREFIX: prefix,
        CHILD_URL: sim.endpointFor(shop),
        CHILD_SHOP: shop,
        CHILD_REQUESTS: "15",
      });
      expect(results.map((result) => result.failed), JSON.stringify(results.map((result) => result.errors))).toEqual([0, 0]);
      expect(sim.stats(shop)).toMatchObject({ requests: 30, throttled: 0 });
    } finally {
      await sim.close();
    }
  });
});
