import type { SqlRunner } from "../../db/database.server";
import { LATENCY_BUCKETS_MS, type LatencyRollupRow, type SyncDomain } from "../latency";
import { addLatencyRollups } from "./addLatencyRollups";

const DOMAIN_OF_KIND: Record<string, SyncDomain> = { catalog: "catalog", price: "prices", stock: "inventory" };

/**
 * Adds a finished run's accepted items to the `pushed` roll-up of its destination: from each
 * change's occurred-at to the run's end, grouped into buckets by the database (a run can carry a
 * million items; a few rows come back).
 */
export async function rollUpPushedLatency(sql: SqlRunner, runId: string): Promise<void> {
  const groups = await sql.query<{ shopId: string; destinationId: string; finishedAt: Date; kind: string; bucket: number; count: number; sumMs: number; maxMs: number }>(
    `WITH items AS (
       SELECT r.shop_id, r.destination_id, r.finished_at, i.kind,
              GREATEST(0, EXTRACT(EPOCH FROM r.finished_at - c.occurred_at) * 1000)::float8 AS ms
       FROM destination_run r
       JOIN run_item i ON i.run_id = r.id AND i.outcome = 'accepted'
       JOIN change_record c ON c.id = i.change_id
       WHERE r.id = $1::bigint AND r.finished_at IS NOT NULL)
     SELECT shop_id AS "shopId", destination_id::text AS "destinationId", finished_at AS "finishedAt", kind,
            width_bucket(ms, $2::float8[]) AS bucket, count(*)::int AS count, sum(ms)::float8 AS "sumMs", max(ms)::float8 AS "maxMs"
     FROM items GROUP BY 1, 2, 3, 4, 5`,
    // width_bucket counts a value equal to a bound into the next bucket: shift the bounds by a hair so `ms <= bound` holds.
    [runId, LATENCY_BUCKETS_MS.map((bound) => bound + 1e-9)],
  );
  const rows = new Map<string, LatencyRollupRow>();
  for (const group of groups) {
    const domain = DOMAIN_OF_KIND[group.kind];
    if (!domain) continue;
    const finishedAt = new Date(group.finishedAt);
    let row = rows.get(domain);
    if (!row) {
      row = { shopId: group.shopId, domain, stage: "pushed", target: group.destinationId, minute: new Date(Math.floor(finishedAt.getTime() / 60_000) * 60_000), count: 0, sumMs: 0, maxMs: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) };
      rows.set(domain, row);
    }
    row.count += group.count;
    row.sumMs += group.sumMs;
    row.maxMs = Math.max(row.maxMs, group.maxMs);
    row.buckets[group.bucket]! += group.count;
  }
  await addLatencyRollups(sql, [...rows.values()]);
}
