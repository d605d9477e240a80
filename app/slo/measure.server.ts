import type { SqlRunner } from "../db/database.server";
import { getConsumerLag, getDomainLatencies } from "../observability/syncStatus.server";
import type { ObjectiveKey } from "./objectives";

/** Latency objectives look at the last few minutes: long enough for a p95, short enough to recover. */
export const LATENCY_WINDOW_MINUTES = 5;

/** One shop's current value of every objective (null: nothing to measure, e.g. no feed destination). */
export async function measureObjectives(sql: SqlRunner, shopId: string, now: Date): Promise<Record<ObjectiveKey, number | null>> {
  const latencies = await getDomainLatencies(sql, { shopId, now, windowMinutes: LATENCY_WINDOW_MINUTES });
  const lag = await getConsumerLag(sql, { shopId, now });
  const [policy] = await sql.query<{ cache_ttl_seconds: number }>(`SELECT cache_ttl_seconds FROM inventory_policy WHERE shop_id = $1`, [shopId]);
  // Per destination: hours since its last run that sent (or since it was created), and its last reconciled variance.
  const destinations = await sql.query<{ kind: string; receives: string[]; age_hours: number; variance: number | null }>(
    `SELECT d.kind::text AS kind, d.receives,
       EXTRACT(EPOCH FROM $2::timestamptz - COALESCE(max(r.finished_at) FILTER (WHERE r.status IN ('succeeded', 'partial')), d.created_at)) / 3600 AS age_hours,
       (SELECT variance FROM destination_run v WHERE v.destination_id = d.id AND v.variance IS NOT NULL ORDER BY v.id DESC LIMIT 1) AS variance
     FROM destination d LEFT JOIN destination_run r ON r.destination_id = d.id
     WHERE d.shop_id = $1 AND d.enabled AND d.mode = 'live'
     GROUP BY d.id`,
    [shopId, now],
  );
  const worst = (values: (number | null | undefined)[]) => {
    const present = values.filter((value): value is number => typeof value === "number" && Number.isFinite(value));
    return present.length === 0 ? null : Math.max(...present);
  };
  const feeds = destinations.filter((d) => d.kind === "google_feed" || d.kind === "amazon_listings");
  return {
    inventory_latency_p95_ms: latencies.inventory.applied.p95,
    orders_latency_p95_ms: latencies.orders.applied.p95,
    // The longest a shopper may be shown a cached availability.
    availability_cache_seconds: policy?.cache_ttl_seconds ?? null,
    catalog_freshness_hours: worst(destinations.filter((d) => d.receives.includes("catalog") && !feeds.includes(d)).map((d) => Number(d.age_hours))),
    reconciliation_variance: worst(destinations.map((d) => (d.variance === null ? null : Number(d.variance)))),
    consumer_lag: worst(lag.map((queue) => queue.waiting)),
    feed_freshness_hours: worst(feeds.map((d) => Number(d.age_hours))),
    price_activation_lag_p95_ms: latencies.prices.applied.p95,
  };
}
