import { hostname } from "node:os";
import type { StopWork } from "../background.server";
import type { AppContext } from "../context.server";
import type { BigCommerceReader } from "./bigcommerceReader";
import { webhookMetrics } from "./metrics";
import { processInbox } from "./routes.server";
import { startWebhookWorker } from "./worker.server";

/**
 * Starts `count` worker loops on the process's database (default: LOCKSTEP_WEBHOOK_WORKERS).
 * Loops in the same process as the HTTP edges are woken as soon as a delivery is stored.
 */
export function startWebhookWorkers(context: AppContext, options: { count?: number; bigCommerce?: BigCommerceReader; pollMs?: number } = {}): StopWork {
  const count = options.count ?? context.config.webhooks.workers;
  const log = (message: string, details: Record<string, unknown>) => {
    if (context.config.logLevel === "debug" || message !== "webhook lease lost: another worker has the row") {
      console.error(JSON.stringify({ level: "warn", message, ...details }));
    }
  };
  const workers = Array.from({ length: count }, (_, i) =>
    startWebhookWorker({
      sql: context.db.sql,
      workerId: `${hostname()}:${process.pid}:${i}`,
      metrics: webhookMetrics(),
      bigCommerce: options.bigCommerce,
      maxAttempts: context.config.webhooks.maxAttempts,
      leaseMs: context.config.webhooks.leaseMs,
      pollMs: options.pollMs,
      log,
    }),
  );
  const unsubscribe = processInbox(context).onStored(() => workers.forEach((worker) => worker.wake()));
  return async () => {
    unsubscribe();
    await Promise.all(workers.map((worker) => worker.stop()));
  };
}
