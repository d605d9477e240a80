import type { SqlRunner } from "../db/database.server";
import { type LatencyPercentiles, SYNC_DOMAINS, type SyncDomain, type SyncStage, percentilesOf } from "./latency";
import { getNewestAppliedByDomain, getNewestPushedByDestination } from "./sql/getNewestStates";
import { getCaptureBacklogs, getInboxBacklog } from "./sql/getQueueBacklogs";
import { getOrderFanoutLag } from "./sql/getOrderFanoutLag";
import { readLatencyRollups } from "./sql/readLatencyRollups";

// What the dashboard and the objectives read: per shop for staff, per deployment (shopId null) for operators.

export type ChartRange = "hour" | "day" | "week";

const RANGES: Record<ChartRange, { spanMs: number; stepMs: number }> = {
  hour: { spanMs: 3_600_000, stepMs: 60_000 },
  day: { spanMs: 86_400_000, stepMs: 15 * 60_000 },
  week: { spanMs: 7 * 86_400_000, stepMs: 2 * 3_600_000 },
};

/** How far back a chart range looks, in milliseconds. */
export function rangeSpanMs(range: ChartRange): number {
  return RANGES[range].spanMs;
}

export interface LatencyPoint extends LatencyPercentiles {
  at: Date;
}

/** p50/p95/p99 of one domain and stage over the last hour (per minute), day (per 15 min) or week (per 2 h). */
export async function getLatencySeries(
  sql: SqlRunner,
  options: { shopId: string | null; domain: SyncDomain; stage: SyncStage; range: ChartRange; now: Date },
): Promise<LatencyPoint[]> {
  const { spanMs, stepMs } = RANGES[options.range];
  const end = Math.floor(options.now.getTime() / stepMs) * stepMs + stepMs;
  const start = end - spanMs;
  const rows = await readLatencyRollups(sql, { shopId: options.shopId, domain: options.domain, stage: options.stage, from: new Date(start), to: new Date(end) });
  const steps = new Map<number, typeof rows>();
  for (const row of rows) {
    const step = Math.floor(new Date(row.minute).getTime() / stepMs) * stepMs;
    steps.set(step, [...(steps.get(step) ?? []), row]);
  }
  const points: LatencyPoint[] = [];
  for (let at = start; at < end; at += stepMs) points.push({ at: new Date(at), ...percentilesOf(steps.get(at) ?? []) });
  return points;
}

/** Each domain's end-to-end latency (occurred-at → applied, and → pushed) over the last `windowMinutes`. */
export async function getDomainLatencies(sql: SqlRunner, options: { shopId: string | null; now: Date; windowMinutes: number }): Promise<Record<SyncDomain, Record<SyncStage, LatencyPercentiles>>> {
  const rows = await readLatencyRollups(sql, { shopId: options.shopId, from: new Date(options.now.getTime() - options.windowMinutes * 60_000), to: new Date(options.now.getTime() + 60_000) });
  const result = {} as Record<SyncDomain, Record<SyncStage, LatencyPercentiles>>;
  for (const domain of SYNC_DOMAINS) {
    const of = (stage: SyncStage) => percentilesOf(rows.filter((row) => row.domain === domain && row.stage === stage));
    result[domain] = { stored: of("stored"), applied: of("applied"), pushed: of("pushed") };
  }
  return result;
}

export interface ConsumerLag {
  /**
   * inbox: webhooks not yet applied; change_capture: captured changes no destination run has
   * covered yet; order_fanout: order events not yet delivered to a destination that receives orders.
   */
  queue: "inbox" | "change_capture" | "order_fanout";
  /** For change capture and order fan-out: the destination behind. */
  destinationId?: string;
  destinationName?: string;
  waiting: number;
  oldestAgeSeconds: number;
  /** For order fan-out: events given up on (dead letters), not counted in `waiting`. */
  dead?: number;
}

/** How far each consumer is behind: oldest unprocessed age and count per queue (and per destination for change capture). */
export async function getConsumerLag(sql: SqlRunner, options: { shopId: string | null; now: Date }): Promise<ConsumerLag[]> {
  const inbox = await getInboxBacklog(sql, options.shopId);
  const capture = await getCaptureBacklogs(sql, options.shopId);
  const fanout = await getOrderFanoutLag(sql, options.shopId);
  const age = (oldest: Date | null) => (oldest ? Math.max(0, Math.round((options.now.getTime() - new Date(oldest).getTime()) / 1000)) : 0);
  return [
    { queue: "inbox", waiting: inbox.waiting, oldestAgeSeconds: age(inbox.oldest) },
    ...capture.map((row) => ({ queue: "change_capture" as const, destinationId: row.id, destinationName: row.name, waiting: row.waiting, oldestAgeSeconds: age(row.oldest) })),
    ...fanout.map((row) => ({ queue: "order_fanout" as const, destinationId: row.id, destinationName: row.name, waiting: row.waiting, oldestAgeSeconds: age(row.oldest), dead: row.dead })),
  ];
}

export interface Freshness {
  /** A domain (newest applied change) or a destination (newest finished run that sent). */
  subject: string;
  kind: "domain" | "destination";
  newestAt: Date | null;
  ageSeconds: number | null;
}

/** Age of the newest applied state per domain and of the newest pushed state per destination. */
export async function getFreshness(sql: SqlRunner, options: { shopId: string | null; now: Date }): Promise<Freshness[]> {
  const domains = await getNewestAppliedByDomain(sql, options.shopId);
  const destinations = await getNewestPushedByDestination(sql, options.shopId);
  const age = (newest: Date | null) => (newest ? Math.max(0, Math.round((options.now.getTime() - new Date(newest).getTime()) / 1000)) : null);
  const byDomain = new Map(domains.map((row) => [row.domain, row.newest]));
  return [
    ...SYNC_DOMAINS.map((domain) => ({ subject: domain, kind: "domain" as const, newestAt: byDomain.get(domain) ?? null, ageSeconds: age(byDomain.get(domain) ?? null) })),
    ...destinations.map((row) => ({ subject: row.name, kind: "destination" as const, newestAt: row.newest, ageSeconds: age(row.newest) })),
  ];
}
