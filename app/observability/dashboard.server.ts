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

/** The dashboard's first screen for one shop: each objective's status and the incidents (small, indexed reads). */
export async function getSyncHeadline(sql: Sql, shopId: string) {
  const [objectives, incidents] = await Promise.all([objectiveViews(sql, shopId), listIncidents(sql, shopId, { limit: 10 })]);
  return {
    domains: SYNC_DOMAINS,
    objectives: objectives.map((objective) => ({ ...objective, evaluatedAt: objective.evaluatedAt ? new Date(objective.evaluatedAt).toISOString() : null })),
    incidents: incidents.map((incident) => ({ ...incident, openedAt: new Date(incident.openedAt).toISOString(), resolvedAt: incident.resolvedAt ? new Date(incident.resolvedAt).toISOString() : null })),
  };
}

/** What the dashboard shows below the first screen (streamed): latency charts, lag, reservations, freshness, last runs. */
export async function getSyncDetails(sql: Sql, shopId: string, range: ChartRange, now: Date) {
  const [lag, freshness, lastRuns, reservations, latency] = await Promise.all([
    getConsumerLag(sql, { shopId, now }),
    getFreshness(sql, { shopId, now }),
    listLastRuns(sql, shopId),
    getReservationCounts(sql, { shopId, now, since: new Date(now.getTime() - rangeSpanMs(range)) }),
    Promise.all(
      (["inventory", "orders"] as const).map(async (domain) => ({
        domain,
        points: (await getLatencySeries(sql, { shopId, domain, stage: "applied", range, now })).map((point) => ({ at: point.at.toISOString(), p50: point.p50, p95: point.p95, p99: point.p99 })),
      })),
    ),
  ]);
  return {
    range,
    latency,
    lag,
    reservations,
    freshness: freshness.map((entry) => ({ ...entry, newestAt: entry.newestAt ? new Date(entry.newestAt).toISOString() : null })),
    lastRuns: lastRuns.map((run) => ({ ...run, finishedAt: run.finishedAt ? new Date(run.finishedAt).toISOString() : null })),
  };
}

export type SyncHeadline = Awaited<ReturnType<typeof getSyncHeadline>>;
export type SyncDetails = Awaited<ReturnType<typeof getSyncDetails>>;
