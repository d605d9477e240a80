import { AggregatorRegistry, Gauge, type MetricObjectWithValues, type MetricValue, Registry } from "prom-client";
import type { AppContext } from "../context.server";
import { purgeAudit } from "../audit/audit.server";
import { getInboxLag } from "./sql/getInboxLag";
import { getOrderFanoutLag } from "./sql/getOrderFanoutLag";
import { log } from "./log.server";
import type { ProcessMetrics } from "./metrics.server";
import { addLatencyRollups, deleteLatencyRollupsBefore } from "./sql/addLatencyRollups";
import { publishProcessMetrics, readPeerMetrics, withdrawProcessMetrics } from "./sql/publishProcessMetrics";

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Points the process's copied counters at this process's limiters and reservation queue. */
export function watchProcessSources(context: AppContext, metrics: ProcessMetrics = context.metrics): void {
  metrics.watch({
    outbound: () => context.outbound.metrics.snapshot(),
    reservations: () => context.stock.reservations.queueStats(),
  });
}

/**
 * Publishes this process's metrics to the database every `publishSeconds`, so a scrape of any
 * process serves the whole deployment. Stopping withdraws them (a crashed process's figures age
 * out after three missed publications).
 */
export function startPublishingMetrics(context: AppContext, metrics: ProcessMetrics = context.metrics): () => Promise<void> {
  watchProcessSources(context, metrics);
  let running: Promise<void> = Promise.resolve();
  const publish = () => {
    running = publishOnce(context, metrics).catch((error: unknown) => log.warn("publishing metrics failed", { error }));
  };
  const timer = setInterval(publish, context.config.observability.publishSeconds * 1000);
  timer.unref();
  publish();
  const stopSweep = startRetentionSweep(context);
  return async () => {
    clearInterval(timer);
    stopSweep();
    await running;
    // What this process measured last still counts.
    await publishOnce(context, metrics).catch(() => undefined);
    await withdrawProcessMetrics(context.db.sql, metrics.processId).catch(() => undefined);
  };
}

/** Publishes the process's metrics and adds its latency roll-ups to the shared rows (kept for the next try when that fails). */
export async function publishOnce(context: Pick<AppContext, "db">, metrics: ProcessMetrics, now = new Date()): Promise<void> {
  const rollups = metrics.rollups.drain();
  try {
    await addLatencyRollups(context.db.sql, rollups);
  } catch (error) {
    metrics.rollups.restore(rollups);
    throw error;
  }
  await publishProcessMetrics(context.db.sql, { processId: metrics.processId, metrics: await metrics.registry.getMetricsAsJSON(), startedAt: metrics.startedAt, now });
}

const RETENTION_SWEEP_EVERY_MS = 60 * 60_000;

/** Deletes latency roll-ups and staff audit entries past their retention (idempotent: any process may). */
export async function sweepRetention(context: Pick<AppContext, "db" | "config">, now = new Date()): Promise<void> {
  const { latencyRetentionDays, auditRetentionDays } = context.config.observability;
  await deleteLatencyRollupsBefore(context.db.sql, new Date(now.getTime() - latencyRetentionDays * 86_400_000)).catch((error: unknown) => log.warn("latency roll-up retention failed", { error }));
  // Each shop's own audit retention where it set one, the deployment's otherwise.
  await purgeAudit(context.db.sql, now, auditRetentionDays).catch((error: unknown) => log.warn("audit retention failed", { error }));
}

/** Sweeps at most hourly per process. */
function startRetentionSweep(context: AppContext): () => void {
  const sweep = () => void sweepRetention(context);
  const timer = setInterval(sweep, RETENTION_SWEEP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The deployment's metrics in Prometheus' text format: this process's live figures summed with
 * every peer's last publication (prom-client's cluster aggregation), plus gauges read from the
 * database once for everyone (inbox lag). A database that does not answer leaves this process's
 * own figures and `lockstep_database_up 0`.
 */
export async function deploymentMetricsText(context: Pick<AppContext, "db" | "config">, metrics: ProcessMetrics, now = new Date()): Promise<string> {
  const own = (await metrics.registry.getMetricsAsJSON()) as MetricsJson;
  const shared = new Registry();
  const gauge = (name: string, help: string, value: number) => new Gauge({ name, help, registers: [shared] }).set(value);
  let peers: MetricsJson[] = [];
  try {
    const since = new Date(now.getTime() - 3 * context.config.observability.publishSeconds * 1000);
    peers = (await readPeerMetrics(context.db.sql, { exceptProcessId: metrics.processId, since })) as MetricsJson[];
    const lag = await getInboxLag(context.db.sql);
    gauge("lockstep_inbox_unprocessed", "Inbox rows waiting to be processed (all processes)", lag.unprocessed);
    gauge("lockstep_inbox_oldest_age_seconds", "Age of the oldest unprocessed inbox row", lag.oldestAgeMs / 1000);
    gauge("lockstep_inbox_dead_letters", "Dead letters waiting for replay", lag.dead);
    const fanout = await getOrderFanoutLag(context.db.sql, null);
    const oldestEvent = Math.min(now.getTime(), ...fanout.map((row) => (row.oldest ? new Date(row.oldest).getTime() : now.getTime())));
    gauge("lockstep_order_fanout_waiting", "Order events not yet delivered to destinations (all shops)", fanout.reduce((sum, row) => sum + row.waiting, 0));
    gauge("lockstep_order_fanout_oldest_age_seconds", "Age of the oldest undelivered order event", Math.max(0, now.getTime() - oldestEvent) / 1000);
    gauge("lockstep_order_fanout_dead_letters", "Order events given up on", fanout.reduce((sum, row) => sum + row.dead, 0));
    gauge("lockstep_database_up", "1 when the database answered this scrape", 1);
  } catch {
    gauge("lockstep_database_up", "1 when the database answered this scrape", 0);
  }
  gauge("lockstep_processes_reporting", "Processes whose figures this scrape sums", peers.length + 1);
  const summed = AggregatorRegistry.aggregate([own, ...peers]);
  return (await summed.metrics()) + "\n" + (await shared.metrics());
}
