import type { SqlRunner } from "../../db/database.server";
import type { LatencyRollupRow } from "../latency";

/** Adds a process's minute roll-ups to the shared rows in one statement (counts and buckets summed, max kept). */
export async function addLatencyRollups(sql: SqlRunner, rows: LatencyRollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO latency_rollup (shop_id, domain, stage, target, minute, count, sum_ms, max_ms, buckets)
     SELECT r.shop_id, r.domain, r.stage, r.target, r.minute, r.count, r.sum_ms, r.max_ms, ARRAY(SELECT jsonb_array_elements_text(r.buckets)::int)
     FROM jsonb_to_recordset($1::jsonb) AS r(shop_id uuid, domain text, stage text, target text, minute timestamptz, count int, sum_ms float8, max_ms float8, buckets jsonb)
     ON CONFLICT (shop_id, domain, stage, target, minute) DO UPDATE SET
       count = latency_rollup.count + excluded.count,
       sum_ms = latency_rollup.sum_ms + excluded.sum_ms,
       max_ms = GREATEST(latency_rollup.max_ms, excluded.max_ms),
       buckets = ARRAY(SELECT COALESCE(a, 0) + COALESCE(b, 0) FROM unnest(latency_rollup.buckets, excluded.buckets) AS t(a, b))`,
    [
      JSON.stringify(
        rows.map((row) => ({ shop_id: row.shopId, domain: row.domain, stage: row.stage, target: row.target, minute: row.minute.toISOString(), count: row.count, sum_ms: row.sumMs, max_ms: row.maxMs, buckets: row.buckets })),
      ),
    ],
  );
}

/** Retention: roll-ups older than `before` go. */
export async function deleteLatencyRollupsBefore(sql: SqlRunner, before: Date): Promise<number> {
  const rows = await sql.query<{ count: number }>(`WITH gone AS (DELETE FROM latency_rollup WHERE minute < $1 RETURNING 1) SELECT count(*)::int AS count FROM gone`, [before]);
  return rows[0]?.count ?? 0;
}
