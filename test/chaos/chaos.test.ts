import { describe, expect, it } from "vitest";
import { type ChaosOptions, runChaos } from "./harness";

// The CI-sized chaos run (on the machine's PostgreSQL, as worker processes need a server): the same
// harness as `npm run chaos`, a hundredth of its size, with one worker killed, one connection drop
// and one Redis restart at least. LOCKSTEP_CHAOS_EVENTS / LOCKSTEP_CHAOS_SEED make it the full run;
// LOCKSTEP_CHAOS_MINUTES bounds it (a partial run checks what it sent).
const events = Number(process.env.LOCKSTEP_CHAOS_EVENTS ?? 10_000);
const full = events > 100_000;
const limitMinutes = Number(process.env.LOCKSTEP_CHAOS_MINUTES ?? 0);
const options: ChaosOptions = {
  events,
  shops: full ? 5 : 3,
  itemsPerShop: full ? 2_000 : 300,
  reservableItemsPerShop: 20,
  reservableStock: 10,
  workerProcesses: 2,
  duplicateShare: 0.1,
  lateShare: 0.01,
  killEveryMs: Number(process.env.LOCKSTEP_CHAOS_KILL_EVERY_MS ?? (full ? 4_000 : 6_000)),
  dropConnectionsEveryMs: full ? 15_000 : 9_000,
  redisRestarts: full ? 3 : 1,
  redisRestartEveryMs: 60_000,
  storefrontClients: 4,
  senders: Number(process.env.LOCKSTEP_CHAOS_SENDERS ?? 64),
  seed: Number(process.env.LOCKSTEP_CHAOS_SEED ?? 20261202),
  // LOCKSTEP_CHAOS_MINUTES bounds a long run: it stops sending at 85 % of it and checks what it sent,
  timeLimitMs: limitMinutes ? limitMinutes * 60_000 : full ? 3 * 3_600_000 : 600_000,
  // and stops sending earlier when what it sent could not be drained and pushed in the time left.
  stopWhenBehind: limitMinutes > 0,
  progressEveryMs: full ? 30_000 : 10_000,
  log: (line) => console.log(line),
};

describe("chaos: events through the whole pipeline with duplicates, reordering, killed workers, dropped connections, a Redis restart", () => {
  it("loses nothing, applies nothing twice, oversells nothing", { timeout: options.timeLimitMs + 300_000 }, async () => {
    const report = await runChaos(options);
    console.log(`chaos report (seed ${report.seed}):\n${JSON.stringify(report, null, 2)}`);
    expect(report.webSurvived).toBe(true);
    expect(report.drained).toBe(true);
    // Only a run given an explicit time limit may stop before it sent everything (it checks what it sent).
    if (!limitMinutes) expect(report.complete).toBe(true);
    expect(report.faults.workersKilled).toBeGreaterThan(0);
    expect(report.faults.connectionDrops).toBeGreaterThan(0);
    expect(report.faults.redisRestarts).toBeGreaterThan(0);
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
    // Every captured change reached each shop's ERP once: none pushed twice, none missing at the end.
    expect(report.destination.caughtUp).toBe(true);
    expect(report.destination.itemsPushed).toBeGreaterThan(0);
    expect(report.destination.pushedTwice).toBe(0);
    // Never an older version after a newer one: the ERP keeps the last item it receives.
    expect(report.destination.pushedOlder).toBe(0);
    expect(report.destination.notPushed).toBe(0);
  });
});
