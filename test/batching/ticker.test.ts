import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startTicker } from "../../app/batching/ticker";
import { setLogWriter } from "../../app/observability/log.server";

// The pipeline's background loop (destination runs, SFTP inbound pulls), on fake timers.

interface Pass {
  finish: () => void;
  fail: (error: Error) => void;
  stopped: () => boolean;
}

/** A pass that ends only when the test says so, each call recorded. */
function controlledPasses() {
  const passes: Pass[] = [];
  const pass = (stopped: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      passes.push({ finish: resolve, fail: reject, stopped });
    });
  return { passes, pass };
}

let logged: string[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  logged = [];
  setLogWriter((line) => logged.push(line));
});

afterEach(() => {
  vi.useRealTimers();
  setLogWriter((line) => process.stdout.write(`${line}\n`));
});

describe("startTicker", () => {
  it("runs a pass at once and on every tick, never two at once: a tick while one runs is skipped", async () => {
    const { passes, pass } = controlledPasses();
    const stop = startTicker(pass, { everyMs: 100, failure: "passes failed" });
    expect(passes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(350);
    expect(passes).toHaveLength(1);
    passes[0]!.finish();
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toHaveLength(2);
    passes[1]!.finish();
    await stop();
  });

  it("logs a failed pass under its name and tries again at the next tick", async () => {
    const { passes, pass } = controlledPasses();
    const stop = startTicker(pass, { everyMs: 100, failure: "passes failed" });
    passes[0]!.fail(new Error("drop unreachable"));
    await vi.advanceTimersByTimeAsync(0);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: "warn", message: "passes failed", error: { message: "drop unreachable" } });
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toHaveLength(2);
    passes[1]!.finish();
    await stop();
  });

  it("stop tells the running pass, waits for it to end, and no pass starts after", async () => {
    const { passes, pass } = controlledPasses();
    const stop = startTicker(pass, { everyMs: 100, failure: "passes failed" });
    expect(passes[0]!.stopped()).toBe(false);
    let stoppedAll = false;
    const stopping = stop().then(() => {
      stoppedAll = true;
    });
    expect(passes[0]!.stopped()).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(stoppedAll).toBe(false);
    passes[0]!.finish();
    await stopping;
    expect(stoppedAll).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toHaveLength(1);
  });
});
