import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { LATENCY_BUCKETS_SECONDS, type LatencyObservation, LatencyRollups } from "./latency";


/** Numbers the metrics read at collection time from the parts of the process that count them. */
export interface MetricSources {
  outbound?: () => { key: string; requests: number; failures: number; throttles: number; retries: number; costUsed: number; coalesced: number; circuitState?: string }[];
  reservations?: () => { calls: number; batches: number; batchedRequests: number; ranAloneAfterBatch: number; retried: number; replanned: number; refusedBusy: number; abandoned: number };
}

const CIRCUIT_STATES = ["closed", "half_open", "open"] as const;

/**
 * The metrics of one process: Node's default process metrics plus Lockstep's. Every process
 * publishes them (processMetrics.server.ts); a scrape serves the sum over the deployment.
 */
export function createProcessMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  const sources: MetricSources = {};
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = [], collect?: (metric: Counter<L>) => void) =>
    new Counter<L>({ name, help, labelNames, registers: [registry], ...(collect && { collect() { collect(this); } }) });
  // Counters kept elsewhere (limiters, the reservation queue) are copied in at each collection.
  const copied = <L extends string>(metric: Counter<L>, values: { labels?: Partial<Record<L, string>>; value: number }[]) => {
    metric.reset();
    for (const { labels, value } of values) metric.inc(labels ?? {}, value);
  };
  const perLimiter = (value: (limiter: ReturnType<NonNullable<MetricSources["outbound"]>>[number]) => number) => (metric: Counter<"limiter">) =>
    copied(metric, (sources.outbound?.() ?? []).map((limiter) => ({ labels: { limiter: limiter.key }, value: value(limiter) })));
  const reservations = (pick: (stats: ReturnType<NonNullable<MetricSources["reservations"]>>) => { labels?: Record<string, string>; value: number }[]) => (metric: Counter<"reason">) => {
    const stats = sources.reservations?.();
    copied(metric, stats ? pick(stats) : []);
  };

  const webhooks = createWebhookMetrics(registry);

  const outbound = {
    queueWait: new Histogram<"limiter">({
      name: "lockstep_outbound_queue_wait_seconds",
      help: "Time a request waited in its limiter before being sent",
      labelNames: ["limiter"],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  };
  counter("lockstep_outbound_requests_total", "Outbound requests sent, by limiter", ["limiter"], perLimiter((l) => l.requests));
  counter("lockstep_outbound_failures_total", "Outbound requests that failed (not throttles), by limiter", ["limiter"], perLimiter((l) => l.failures));
  counter("lockstep_outbound_throttled_total", "Outbound requests answered THROTTLED / 429, by limiter", ["limiter"], perLimiter((l) => l.throttles));
  counter("lockstep_outbound_retries_total", "Outbound retries, by limiter", ["limiter"], perLimiter((l) => l.retries));
  counter("lockstep_outbound_cost_used_total", "Cost points (Shopify) or requests (quota APIs) spent, by limiter", ["limiter"], perLimiter((l) => l.costUsed));
  counter("lockstep_outbound_coalesced_total", "Changes folded into an already pending call, by limiter", ["limiter"], perLimiter((l) => l.coalesced));
  new Gauge<"limiter" | "state">({
    name: "lockstep_outbound_circuit_state",
    help: "Processes whose circuit of this destination is in this state",
    labelNames: ["limiter", "state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const limiter of sources.outbound?.() ?? []) {
        if (limiter.circuitState === undefined) continue;
        for (const state of CIRCUIT_STATES) this.set({ limiter: limiter.key, state }, limiter.circuitState === state ? 1 : 0);
      }
    },
  });

  counter("lockstep_reservation_calls_total", "Reservation statement calls (a batch is one call)", [], reservations((s) => [{ value: s.calls }]));
  counter("lockstep_reservation_batches_total", "Reservation batches: requests that arrived together, one transaction", [], reservations((s) => [{ value: s.batches }]));
  counter("lockstep_reservation_batched_requests_total", "Reservation requests that ran in a batch", [], reservations((s) => [{ value: s.batchedRequests }]));
  counter("lockstep_reservation_reruns_total", "Reservation requests run again, by reason", ["reason"], reservations((s) => [
    { labels: { reason: "batch_failed" }, value: s.ranAloneAfterBatch },
    { labels: { reason: "deadlock_or_duplicate" }, value: s.retried },
    { labels: { reason: "stock_moved" }, value: s.replanned },
  ]));
  counter("lockstep_reservation_dropped_total", "Reservation requests never run, by reason", ["reason"], reservations((s) => [
    { labels: { reason: "queue_full" }, value: s.refusedBusy },
    { labels: { reason: "caller_gone" }, value: s.abandoned },
  ]));

  const latency = new Histogram<"domain" | "stage">({
    name: "lockstep_sync_latency_seconds",
    help: "From the source's occurred-at time to stored, applied and pushed, by domain",
    labelNames: ["domain", "stage"],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });

  const rollups = new LatencyRollups();

  return {
    /** Names this process's published figures: host, pid and a random part (pids repeat across restarts). */
    processId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    startedAt: new Date(),
    registry,
    webhooks,
    outbound,
    latency,
    rollups,
    /** One event reached a stage: counted in the histogram and in this minute's roll-up (published with the metrics). */
    recordSyncLatency(observation: LatencyObservation): void {
      const ms = rollups.record(observation);
      latency.observe({ domain: observation.domain, stage: observation.stage }, ms / 1000);
    },
    /** Where the copied counters come from; set once the process's services exist. */
    watch(more: MetricSources): void {
      Object.assign(sources, more);
    },
  };
}

/** Ingestion's counters and stage histogram, in `registry`. */
export function createWebhookMetrics(registry: Registry) {
  const webhookCounter = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    received: webhookCounter("lockstep_webhooks_received_total", "Webhook deliveries received"),
    stored: webhookCounter("lockstep_webhooks_stored_total", "Webhook deliveries durably stored (answered 200)"),
    duplicates: webhookCounter("lockstep_webhooks_duplicates_total", "Deliveries dropped as duplicates (delivery id or event id)"),
    rejected: webhookCounter("lockstep_webhooks_rejected_total", "Deliveries refused, by reason", ["reason"]),
    processed: webhookCounter("lockstep_webhooks_processed_total", "Events applied by the workers, by outcome", ["outcome"]),
    failedAttempts: webhookCounter("lockstep_webhooks_failed_attempts_total", "Processing attempts that failed"),
    deadLetters: webhookCounter("lockstep_webhooks_dead_letters_total", "Events that became dead letters"),
    attempts: webhookCounter("lockstep_webhooks_attempts_per_event_total", "Processed events by the attempts they took", ["attempts"]),
    stage: new Histogram<"stage">({
      name: "lockstep_webhook_stage_seconds",
      help: "Webhook latency by stage: received to stored (the 200), stored to processed, received to processed",
      labelNames: ["stage"],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  };
}

export type ProcessMetrics = ReturnType<typeof createProcessMetrics>;
