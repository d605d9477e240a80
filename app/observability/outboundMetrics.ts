import { type PrometheusText } from "./prometheus";
import { type LimiterMetricsSnapshot } from "../outbound/metrics";

const CIRCUIT_STATES = ["closed", "half_open", "open"] as const;

/**
 * Adds every limiter's figures to a /metrics scrape: requests, cost used, throttles, retries,
 * coalesced changes, circuit state and queue wait, labelled by limiter (`shopify:<shop>`,
 * `bigcommerce:<store>`, `destination:<id>`).
 */
export function writeOutboundMetrics(text: PrometheusText, snapshots: LimiterMetricsSnapshot[]): PrometheusText {
  const per = (value: (snapshot: LimiterMetricsSnapshot) => number) =>
    snapshots.map((snapshot) => ({ labels: { limiter: snapshot.key }, value: value(snapshot) }));
  text
    .counter("lockstep_outbound_requests_total", "Outbound requests sent, by limiter", per((s) => s.requests))
    .counter("lockstep_outbound_failures_total", "Outbound requests that failed (not throttles), by limiter", per((s) => s.failures))
    .counter("lockstep_outbound_throttled_total", "Outbound requests answered THROTTLED / 429, by limiter", per((s) => s.throttles))
    .counter("lockstep_outbound_retries_total", "Outbound retries, by limiter", per((s) => s.retries))
    .counter("lockstep_outbound_cost_used_total", "Cost points (Shopify) or requests (quota APIs) spent, by limiter", per((s) => s.costUsed))
    .counter("lockstep_outbound_coalesced_total", "Changes folded into an already pending call, by limiter", per((s) => s.coalesced))
    .gauge(
      "lockstep_outbound_circuit_state",
      "1 for the current circuit state of each destination",
      snapshots
        .filter((snapshot) => snapshot.circuitState !== undefined)
        .flatMap((snapshot) => CIRCUIT_STATES.map((state) => ({ labels: { limiter: snapshot.key, state }, value: snapshot.circuitState === state ? 1 : 0 }))),
    )
    .histogram(
      "lockstep_outbound_queue_wait_seconds",
      "Time a request waited in its limiter before being sent",
      snapshots.map((snapshot) => ({
        labels: { limiter: snapshot.key },
        buckets: Object.entries(snapshot.queueWait.bucketsMs).map(([le, count]) => ({ le: le === "+Inf" ? Infinity : Number(le) / 1000, count })),
        sum: snapshot.queueWait.sumMs / 1000,
        count: snapshot.queueWait.count,
      })),
    );
  return text;
}
