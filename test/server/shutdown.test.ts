import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_SHOP_DOMAIN } from "../../app/demo/seed.server";
import { shopifyPayload, signShopifyDelivery } from "../../simulators/webhooks/shopify";
import { type Started, startProcess } from "../helpers/process";

const SECRET = "shutdown-test-webhook-secret";
const processes: Started[] = [];
afterAll(async () => {
  await Promise.all(processes.map((started) => started.stop("SIGKILL")));
});

async function startDemo(env: Record<string, string>): Promise<{ lockstep: Started; port: number }> {
  const lockstep = startProcess("server/main.ts", ["--demo"], {
    PORT: "0",
    LOCKSTEP_DATA_DIR: "memory://",
    LOCKSTEP_DEMO_TRAFFIC: "off",
    SHOPIFY_API_SECRET: SECRET,
    ...env,
  });
  processes.push(lockstep);
  const [, port] = await lockstep.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 120_000);
  return { lockstep, port: Number(port) };
}

/**
 * A signed webhook sent over a raw socket, all but its last byte: the server is answering it until
 * `finish()`. `Expect: 100-continue` makes the server say when the request reached its handler.
 */
async function halfSentWebhook(port: number) {
  const delivery = signShopifyDelivery({ secret: SECRET, shopDomain: DEMO_SHOP_DOMAIN, topic: "inventory_levels/update", payload: shopifyPayload("inventory_levels/update") });
  const socket = net.connect(port, "127.0.0.1");
  let received = "";
  const listeners = new Set<() => void>();
  socket.on("data", (chunk) => {
    received += chunk.toString();
    for (const listener of listeners) listener();
  });
  socket.on("error", () => undefined);
  const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  const until = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const match = received.match(pattern);
        if (match) resolve(match[1]!);
      };
      listeners.add(check);
      check();
    });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const headers = Object.entries({ ...delivery.headers, host: "127.0.0.1", expect: "100-continue", "content-length": String(Buffer.byteLength(delivery.body)) })
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n");
  socket.write(`POST /webhooks/shopify HTTP/1.1\r\n${headers}\r\n\r\n`);
  await until(/(HTTP\/1\.1 100 Continue)/);
  socket.write(delivery.body.slice(0, -1));
  // The final answer: the status line after the interim 100.
  const finalStatus = /HTTP\/1\.1 100 Continue\r\n\r\n(HTTP\/1\.1 [^\r]+)/;
  return {
    finish: () => socket.write(delivery.body.slice(-1)),
    answered: () => until(finalStatus),
    /** The final status line, or "" when the server closed the connection without one. */
    async closedWith(): Promise<string> {
      await ended;
      return received.match(finalStatus)?.[1] ?? "";
    },
  };
}

describe("stopping the process", () => {
  it("answers a request in flight during the shutdown, refuses new ones, and a second signal stops at once", async () => {
    const { lockstep, port } = await startDemo({ LOCKSTEP_SHUTDOWN_TIMEOUT_MS: "120000" });
    const slow = await halfSentWebhook(port);
    const hanging = await halfSentWebhook(port);
    lockstep.child.kill("SIGTERM");
    await lockstep.waitFor(/SIGTERM: shutting down/);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    slow.finish();
    expect(await slow.answered()).toBe("HTTP/1.1 200 OK");
    // The other request never completes: the process keeps waiting for it, until told again.
    expect(lockstep.child.exitCode).toBeNull();
    lockstep.child.kill("SIGTERM");
    expect(await lockstep.exited).toBe(1);
    expect(lockstep.output()).toMatch(/SIGTERM again: stopping at once/);
    expect(await hanging.closedWith()).toBe("");
  }, 180_000);

  it("exits within the deadline when a request hangs, after closing the database", async () => {
    const { lockstep, port } = await startDemo({ LOCKSTEP_SHUTDOWN_TIMEOUT_MS: "500" });
    const hanging = await halfSentWebhook(port);
    lockstep.child.kill("SIGTERM");
    expect(await lockstep.exited).toBe(0);
    expect(lockstep.output()).toMatch(/still busy after 500 ms, closing anyway/);
    expect(await hanging.closedWith()).toBe("");
  }, 180_000);
});
