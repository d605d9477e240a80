import { type ChildProcess, fork } from "node:child_process";
import { type AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { until } from "../helpers/expectations";
import { REDIS_URL, useRedisPrefix } from "../helpers/redis";

// The machine's Redis; this file's own key prefix, its keys removed after the file.
const { prefix, redis } = useRedisPrefix();
const CHILD = join(import.meta.dirname, "fixtures", "sharedCircuitChild.ts");
const PROCESSES = 3;
const THRESHOLD = 3;
const OPEN_MS = 200;
const ANSWER_MS = 50;

interface ChildReport {
  outcomes: Record<string, number>;
  circuit: string;
  clustered: boolean;
}

/**
 * A destination on 127.0.0.1 that answers 503 while it is down, 200 once it is back; it takes a
 * while to answer, so that a probe is still out when other processes look at the circuit.
 */
async function startDestination(): Promise<{ url: string; failed: () => number; served: () => number; setDown: (down: boolean) => void; server: Server }> {
  let down = true;
  let failed = 0;
  let served = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (down) failed++;
      else served++;
      const status = down ? 503 : 200;
      setTimeout(() => response.writeHead(status, { "Content-Type": "application/json" }).end(status === 200 ? "{}" : ""), ANSWER_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failed: () => failed,
    served: () => served,
    setDown: (value) => void (down = value),
    server,
  };
}

function nextReport(child: ChildProcess): Promise<ChildReport> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message !== "object") return;
      child.off("message", onMessage);
      resolve(message as ChildReport);
    };
    child.on("message", onMessage);
  });
}

/** Sends `message` to every child and returns what each answers. */
function askAll(children: ChildProcess[], message: "report" | "pause" | "stop"): Promise<ChildReport[]> {
  return Promise.all(
    children.map((child) => {
      const report = nextReport(child);
      child.send(message);
      return report;
    }),
  );
}

async function forkChildren(env: Record<string, string>): Promise<ChildProcess[]> {
  const children = Array.from({ length: PROCESSES }, () =>
    fork(CHILD, [], { execArgv: ["--unhandled-rejections=strict", "--import", "tsx"], env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );
  await Promise.all(children.map((child) => new Promise((resolve) => child.once("message", resolve))));
  return children;
}

const count = (reports: ChildReport[], outcome: string) => reports.reduce((sum, report) => sum + (report.outcomes[outcome] ?? 0), 0);

describe("processes calling one failing destination share its circuit through Redis", () => {
  it("it gets the threshold's failing calls from the whole cluster and one probe per pause; recovery closes the circuit for all", async () => {
    const destination = await startDestination();
    const circuitKey = `${prefix}:destination:erp-down:circuit`;
    const children = await forkChildren({
      CHILD_REDIS_URL: REDIS_URL,
      CHILD_PREFIX: prefix,
      CHILD_URL: destination.url,
      CHILD_DESTINATION: "erp-down",
      CHILD_THRESHOLD: String(THRESHOLD),
      CHILD_OPEN_MS: String(OPEN_MS),
    });
    try {
      for (const child of children) child.send("go");
      // Two probes failed: the pause doubled twice.
      await until(async () => Number(await redis().hget(circuitKey, "openMs")) >= OPEN_MS * 4);
      const paused = await askAll(children, "pause");

      expect(paused.map((report) => report.clustered)).toEqual(children.map(() => true));
      const failed = destination.failed();
      // Every failing answer was counted in the one shared circuit.
      expect(count(paused, "outbound_unavailable")).toBe(failed);
      expect(Number(await redis().hget(circuitKey, "failures"))).toBe(failed);
      // Each failed probe doubled the pause once: probes = log2(pause / first pause).
      const probes = Math.log2(Number(await redis().hget(circuitKey, "openMs")) / OPEN_MS);
      expect(Number.isInteger(probes) && probes >= 2).toBe(true);
      // Before it opened: the threshold, plus at most the calls the other processes already had out.
      // Per-process circuits would have let THRESHOLD calls through each, and PROCESSES probes per pause.
      expect(failed - probes).toBeGreaterThanOrEqual(THRESHOLD);
      expect(failed - probes).toBeLessThanOrEqual(THRESHOLD + PROCESSES - 1);
      for (const report of paused) {
        expect(report.outcomes.circuit_open ?? 0).toBeGreaterThan(0);
        expect(["open", "half_open"]).toContain(report.circuit);
      }

      destination.setDown(false);
      for (const child of children) child.send("go");
      await until(async () => (await askAll(children, "report")).every((report) => (report.outcomes.ok ?? 0) > 0));
      const stopped = await askAll(children, "stop");
      expect(stopped.map((report) => report.circuit)).toEqual(children.map(() => "closed"));
      expect(await redis().exists(circuitKey)).toBe(0);
      expect(destination.failed()).toBe(failed);
      expect(count(stopped, "ok")).toBe(destination.served());
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
      await new Promise((resolve) => destination.server.close(resolve));
    }
  });

  it("control: the same processes with their own circuits let the threshold's failing calls through each", async () => {
    const destination = await startDestination();
    const children = await forkChildren({
      CHILD_REDIS_URL: "",
      CHILD_PREFIX: prefix,
      CHILD_URL: destination.url,
      CHILD_DESTINATION: "erp-local",
      CHILD_THRESHOLD: String(THRESHOLD),
      CHILD_OPEN_MS: "60000",
    });
    try {
      for (const child of children) child.send("go");
      await until(async () => (await askAll(children, "report")).every((report) => report.circuit === "open"));
      const stopped = await askAll(children, "stop");
      expect(stopped.map((report) => report.clustered)).toEqual(children.map(() => false));
      expect(destination.failed()).toBe(PROCESSES * THRESHOLD);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
      await new Promise((resolve) => destination.server.close(resolve));
    }
  });
});
