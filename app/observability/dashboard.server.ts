import { listLastRuns } from "../batching/sql/listLastRuns";
import type { Sql } from "../db/database.server";
import { objectiveViews } from "../slo/evaluator.server";
import { listIncidents } from "../slo/sql/sloRows";
import { SYNC_DOMAINS } from "./latency";
import { getReservationCounts } from "./sql/getReservationCounts";
import { type ChartRange, getConsumerLag, getFreshness, getLatencySeries, rangeSpanMs } from "./syncStatus.server";

export const CHART_RANGES: ChartRange[] = ["hour", "day", "week"];

export function chartRangeOf(value: string | null): ChartRange {
  return CHART_RANGES.find((range) => range === value) ?? "hour";
}

/** Everything the dashboard's sync overview shows for one shop, as plain JSON (never another shop's). */
export async function getSyncOverview(sql: Sql, shopId: string, range: ChartRange, now: Date) {
  const [objectives, incidents, lag, freshness, lastRuns, reservations] = await Promise.all([
    objectiveViews(sql, shopId),
    listIncidents(sql, shopId, { limit: 10 }),
    getConsumerLag(sql, { shopId, now }),
    getFreshness(sql, { shopId, now }),
    listLastRuns(sql, shopId),
    getReservationCounts(sql, { shopId, now, since: new Date(now.getTime() - rangeSpanMs(range)) }),
  ]);
  const latency = await Promise.all(
    (["inventory", "orders"] as const).map(async (domain) => ({
      domain,
      points: (await getLatencySeries(sql, { shopId, domain, stage: "applied", range, now })).map((point) => ({ at: point.at.toISOString(), p50: point.p50, p95: point.p95, p99: point.p99 })),
    })),
  );
  return {
    range,
    domains: SYNC_DOMAINS,
    objectives: objectives.map((objective) => ({ ...objective, evaluatedAt: objective.evaluatedAt ? new Date(objective.evaluatedAt).toISOString() : null })),
    incidents: incidents.map((incident) => ({ ...incident, openedAt: new Date(incident.openedAt).toISOString(), resolvedAt: incident.resolvedAt ? new Date(incident.resolvedAt).toISOString() : null })),
    latency,
    lag,
    reservations,
    freshness: freshness.map((entry) => ({ ...entry, newestAt: entry.newestAt ? new Date(entry.newestAt).toISOString() : null })),
    lastRuns: lastRuns.map((run) => ({ ...run, finishedAt: run.finishedAt ? new Date(run.finishedAt).toISOString() : null })),
  };
}

export type SyncOverview = Awaited<ReturnType<typeof getSyncOverview>>;
