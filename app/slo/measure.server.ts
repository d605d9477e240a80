import type { SqlRunner } from "../db/database.server";
import { getConsumerLag, getDomainLatencies } from "../observability/syncStatus.server";
import type { ObjectiveKey } from "./objectives";
import { readCacheTtlSeconds, readDestinationFreshness } from "./sql/measureInputs";

/** Latency objectives look at the last few minutes: long enough for a p95, short enough to recover. */
export const LATENCY_WINDOW_MINUTES = 5;

/** One shop's current value of every objective (null: nothing to measure, e.g. no feed destination). */
export async function measureObjectives(sql: SqlRunner, shopId: string, now: Date): Promise<Record<ObjectiveKey, number | null>> {
  const latencies = await getDomainLatencies(sql, { shopId, now, windowMinutes: LATENCY_WINDOW_MINUTES });
  const lag = await getConsumerLag(sql, { shopId, now });
  const cacheTtlSeconds = await readCacheTtlSeconds(sql, shopId);
  const destinations = await readDestinationFreshness(sql, shopId, now);
  const worst = (values: (number | null | undefined)[]) => {
    const present = values.filter((value): value is number => typeof value === "number" && Number.isFinite(value));
    return present.length === 0 ? null : Math.max(...present);
  };
  const feeds = destinations.filter((d) => d.kind === "google_feed" || d.kind === "amazon_listings");
  return {
    inventory_latency_p95_ms: latencies.inventory.applied.p95,
    orders_latency_p95_ms: latencies.orders.applied.p95,
    // The longest a shopper may be shown a cached availability.
    availability_cache_seconds: cacheTtlSeconds ?? null,
    catalog_freshness_hours: worst(destinations.filter((d) => d.receives.includes("catalog") && !feeds.includes(d)).map((d) => Number(d.age_hours))),
    reconciliation_variance: worst(destinations.map((d) => (d.variance === null ? null : Number(d.variance)))),
    consumer_lag: worst(lag.map((queue) => queue.waiting)),
    feed_freshness_hours: worst(feeds.map((d) => Number(d.age_hours))),
    price_activation_lag_p95_ms: latencies.prices.applied.p95,
  };
}
