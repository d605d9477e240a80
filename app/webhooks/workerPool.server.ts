import { hostname } from "node:os";
import pg from "pg";
import type { StopWork } from "../background.server";
import type { AppContext } from "../context.server";
import type { BigCommerceReader } from "../platforms/bigcommerce/readBack";
import { INBOX_CHANNEL } from "./inbox.server";
import { purgeInboxRows } from "./sql/purgeInboxRows";
import { startWebhookWorker } from "./workerLoop.server";
import { log as appLog } from "../observability/log.server";

/**
 * On PostgreSQL, deliveries stored by other processes wake this one's loops (LISTEN/NOTIFY). When the
 * connection is lost the loops still poll, so a missed notification costs latency, never an event.
 */
function listenForDeliveries(
  databaseUrl: string,
  wake: () => void,
  log: (message: string, details: Record<string, unknown>) => void,
  onListening?: () => void,
): { close(): Promise<void> } {
  let client: pg.Client | undefined;
  let closed = false;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on("notification", () => wake());
    next.on("error", (error) => {
      log("webhook LISTEN connection lost; polling until it is back", { error: error.message });
      next.end().catch(() => undefined);
      if (!closed) setTimeout(() => void connect().catch(() => undefined), 1000);
    });
    await next.connect();
    await next.query(`LISTEN ${INBOX_CHANNEL}`);
    client = next;
    onListening?.();
    if (closed) await next.end();
  };
  connect().catch((error: unknown) => log("webhook LISTEN failed; polling only", { error: String(error) }));
  return {
    async close() {
      closed = true;
      await client?.end().catch(() => undefined);
    },
  };
}

/** Hourly, deletes processed deliveries older than the retention (every worker process may do it: the DELETE is idempotent). */
function startPurging(context: AppContext, log: (message: string, details: Record<string, unknown>) => void): { stop(): void } {
  const purgeOnce = async () => {
    const before = new Date(Date.now() - context.config.webhooks.retentionDays * 86_400_000);
    try {
      while ((await purgeInboxRows(context.db.sql, before)) > 0);
    } catch (error) {
      log("webhook inbox purge failed; next hour again", { error: String(error) });
    }
  };
  const timer = setInterval(() => void purgeOnce(), 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Rows a loop claims at once, and at most while a backlog lasts. PGlite is one connection: a batch's
 * transaction holds it, and webhook answers wait behind it.
 */
export function webhookBatchSizes(kind: AppContext["db"]["kind"]): { batchSize: number; maxBatchSize: number } {
  return kind === "pglite" ? { batchSize: 10, maxBatchSize: 10 } : { batchSize: 50, maxBatchSize: 500 };
}

/**
 * Starts `count` worker loops on the process's database (default: LOCKSTEP_WEBHOOK_WORKERS).
 * Loops in the same process as the HTTP edges are woken as soon as a delivery is stored.
 */
export function startWebhookWorkers(context: AppContext, options: { count?: number; bigCommerce?: BigCommerceReader; pollMs?: number; onListening?: () => void } = {}): StopWork {
  const count = options.count ?? context.config.webhooks.workers;
  const log = (message: string, details: Record<string, unknown>) => appLog.warn(message, details);
  const workers = Array.from({ length: count }, (_, i) =>
    startWebhookWorker({
      sql: context.db.sql,
      workerId: `${hostname()}:${process.pid}:${i}`,
      metrics: context.webhooks.metrics,
      subscribers: context.webhooks.subscribers,
      bigCommerce: options.bigCommerce,
      maxAttempts: context.config.webhooks.maxAttempts,
      leaseMs: context.config.webhooks.leaseMs,
      maxLeaseExpiries: context.config.webhooks.maxLeaseExpiries,
      ...webhookBatchSizes(context.db.kind),
      pollMs: options.pollMs ?? context.config.webhooks.pollMs,
      log,
    }),
  );
  const wakeAll = () => workers.forEach((worker) => worker.wake());
  const unsubscribe = context.webhooks.inbox.onStored(wakeAll);
  const listener = context.config.databaseUrl && count > 0 ? listenForDeliveries(context.config.databaseUrl, wakeAll, log, options.onListening) : undefined;
  const purge = count > 0 ? startPurging(context, log) : undefined;
  return async () => {
    unsubscribe();
    purge?.stop();
    await listener?.close();
    await Promise.all(workers.map((worker) => worker.stop()));
  };
}
