import { describe, expect, it } from "vitest";
import { type ChaosOptions, runChaos } from "./harness";

// The CI-sized chaos run (on the machine's PostgreSQL, as worker processes need a server): the same
// harness as `npm run chaos`, a fiftieth of its size, with one worker killed and one connection drop
// at least. LOCKSTEP_CHAOS_EVENTS / LOCKSTEP_CHAOS_SEED make it the full run.
const events = Number(process.env.LOCKSTEP_CHAOS_EVENTS ?? 20_000);
const full = events > 100_000;
const options: ChaosOptions = {
  events,
  shops: full ? 5 : 3,
  itemsPerShop: full ? 2_000 : 300,
  reservableItemsPerShop: 20,
  reservableStock: 10,
  workerProcesses: 2,
  duplicateShare: 0.1,
  lateShare: 0.01,
  killEveryMs: full ? 4_000 : 6_000,
  dropConnectionsEveryMs: full ? 15_000 : 9_000,
  redisRestarts: full ? 3 : 1,
  storefrontClients: 4,
  senders: 16,
  seed: Number(process.env.LOCKSTEP_CHAOS_SEED ?? 20261202),
  timeLimitMs: full ? 3 * 3_600_000 : 600_000,
  log: (line) => console.log(line),
};

describe("chaos: events through the whole pipeline with duplicates, reordering, killed workers, dropped connections, a Redis restart", () => {
  it("loses nothing, applies nothing twice, oversells nothing", { timeout: options.timeLimitMs + 300_000 }, async () => {
    const report = await runChaos(options);
    console.log(`chaos report (seed ${report.seed}):\n${JSON.stringify(report, null, 2)}`);
    expect(report.drained).toBe(true);
    expect(report.faults.workersKilled).toBeGreaterThan(0);
    expect(report.faults.connectionDrops).toBeGreaterThan(0);
    expect(report.faults.redisRestarts).toBe(options.redisRestarts);
    // Every distinct event stored once: duplicates are dropped at the door.
    expect(report.stored).toBe(report.eventsIn);
    expect(report.applied + report.deadLettered).toBe(report.stored);
    expect(report.deadLetterReasons).toEqual([]);
    expect(report.lost).toBe(0);
    expect(report.appliedTwice).toBe(0);
    expect(report.oversold).toBe(0);
    expect(report.reservations.made).toBeGreaterThan(0);
    expect(report.reservations.missing).toBe(0);
    expect(report.reservations.orderCommitsMissing).toBe(0);
  });
});
