import type { SqlRunner } from "../../db/database.server";

/** The shop's availability cache TTL (inventory_policy, read-only here), or undefined: the default applies. */
export async function readCacheTtlSeconds(sql: SqlRunner, shopId: string): Promise<number | undefined> {
  const [row] = await sql.query<{ cache_ttl_seconds: number }>(`SELECT cache_ttl_seconds FROM inventory_policy WHERE shop_id = $1`, [shopId]);
  return row?.cache_ttl_seconds;
}

export interface DestinationFreshnessRow {
  kind: string;
  receives: string[];
  /** Hours since its last run that sent (or since it was created). */
  age_hours: number;
  /** Its last reconciled variance, if any. */
  variance: number | null;
}

/** Per live, enabled destination of the shop: how stale what it holds is, and its last variance (read-only over the pipeline's tables). */
export async function readDestinationFreshness(sql: SqlRunner, shopId: string, now: Date): Promise<DestinationFreshnessRow[]> {
  return sql.query<DestinationFreshnessRow>(
    `SELECT d.kind::text AS kind, d.receives,
       EXTRACT(EPOCH FROM $2::timestamptz - COALESCE(max(r.finished_at) FILTER (WHERE r.status IN ('succeeded', 'partial')), d.created_at)) / 3600 AS age_hours,
       (SELECT variance FROM destination_run v WHERE v.destination_id = d.id AND v.variance IS NOT NULL ORDER BY v.id DESC LIMIT 1) AS variance
     FROM destination d LEFT JOIN destination_run r ON r.destination_id = d.id
     WHERE d.shop_id = $1 AND d.enabled AND d.mode = 'live'
     GROUP BY d.id`,
    [shopId, now],
  );
}
