import { quantileFromBuckets } from "./quantiles";

/**
 * Upper bounds (seconds) of every Lockstep latency histogram: from a webhook's answer (ms) to a
 * delayed destination's push (minutes). The 2 s bound is the inventory/orders objective.
 */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900];

export const SYNC_DOMAINS = ["inventory", "reservations", "orders", "prices", "catalog"] as const;
export type SyncDomain = (typeof SYNC_DOMAINS)[number];

/** Each measured from the source's occurred-at time: durably stored, applied to our state, pushed to a destination. */
export const SYNC_STAGES = ["stored", "applied", "pushed"] as const;
export type SyncStage = (typeof SYNC_STAGES)[number];

/** Upper bounds (ms) of the roll-up buckets; one more, open-ended bucket follows the last. */
export const LATENCY_BUCKETS_MS = LATENCY_BUCKETS_SECONDS.map((seconds) => Math.round(seconds * 1000));

export interface LatencyObservation {
  shopId: string;
  domain: SyncDomain;
  stage: SyncStage;
  /** The destination id when `stage` is pushed. */
  target?: string;
  occurredAt: Date;
  at: Date;
}

/** One minute of observations for one shop, domain, stage and target: a row of latency_rollup. */
export interface LatencyRollupRow {
  shopId: string;
  domain: SyncDomain;
  stage: SyncStage;
  target: string;
  minute: Date;
  count: number;
  sumMs: number;
  maxMs: number;
  /** Per bucket of LATENCY_BUCKETS_MS, then the open-ended one; not cumulative. */
  buckets: number[];
}

/**
 * Collects a process's latency observations by minute in memory; `drain()` hands them to the
 * publisher, which adds them to the shared rows (so a chart covers every process and survives restarts).
 */
export class LatencyRollups {
  private pending = new Map<string, LatencyRollupRow>();

  record(observation: LatencyObservation): number {
    const ms = Math.max(0, observation.at.getTime() - observation.occurredAt.getTime());
    const minute = new Date(Math.floor(observation.at.getTime() / 60_000) * 60_000);
    const target = observation.target ?? "";
    const key = `${observation.shopId}|${observation.domain}|${observation.stage}|${target}|${minute.getTime()}`;
    let row = this.pending.get(key);
    if (!row) {
      row = { shopId: observation.shopId, domain: observation.domain, stage: observation.stage, target, minute, count: 0, sumMs: 0, maxMs: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) };
      this.pending.set(key, row);
    }
    row.count += 1;
    row.sumMs += ms;
    row.maxMs = Math.max(row.maxMs, ms);
    const index = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
    row.buckets[index === -1 ? LATENCY_BUCKETS_MS.length : index]! += 1;
    return ms;
  }

  drain(): LatencyRollupRow[] {
    const rows = [...this.pending.values()];
    this.pending = new Map();
    return rows;
  }

  /** Rows a failed flush gave back: added again so the next flush carries them. */
  restore(rows: LatencyRollupRow[]): void {
    for (const row of rows) {
      const key = `${row.shopId}|${row.domain}|${row.stage}|${row.target}|${row.minute.getTime()}`;
      const current = this.pending.get(key);
      if (!current) {
        this.pending.set(key, row);
        continue;
      }
      current.count += row.count;
      current.sumMs += row.sumMs;
      current.maxMs = Math.max(current.maxMs, row.maxMs);
      row.buckets.forEach((count, i) => (current.buckets[i]! += count));
    }
  }
}

export interface LatencyPercentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  maxMs: number | null;
}

/** p50/p95/p99 (ms) of bucket counts summed over rows: interpolated inside the bucket, as Prometheus does. */
export function percentilesOf(rows: { count: number; maxMs: number; buckets: number[] }[]): LatencyPercentiles {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  let count = 0;
  let maxMs: number | null = null;
  for (const row of rows) {
    count += row.count;
    maxMs = Math.max(maxMs ?? 0, row.maxMs);
    row.buckets.forEach((n, i) => (counts[i]! += n));
  }
  let cumulative = 0;
  const buckets = counts.map((n, i) => ({ le: LATENCY_BUCKETS_MS[i] ?? Infinity, count: (cumulative += n) }));
  // Never report more than the slowest observation (the interpolation would inside its bucket).
  const quantile = (q: number) => {
    const value = quantileFromBuckets(buckets, q);
    return value === null ? null : Math.round(Math.min(value, maxMs ?? value));
  };
  return { count, p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99), maxMs };
}

/** Which domain a platform webhook topic belongs to; null for topics that are not synced state. */
export function domainOfTopic(topic: string): SyncDomain | null {
  if (/inventory/i.test(topic)) return "inventory";
  if (/order/i.test(topic)) return "orders";
  if (/price/i.test(topic)) return "prices";
  if (/product|sku|variant|collection|catalog/i.test(topic)) return "catalog";
  return null;
}
