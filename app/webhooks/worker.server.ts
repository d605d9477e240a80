import { LockstepError } from "../config/errors";
import type { Sql } from "../db/database.server";
import type { Random } from "../outbound/clock";
import { type RetryPolicy, retryDelay } from "../outbound/retryPolicy";
import type { BigCommerceReader } from "./bigcommerceReader";
import { applyEvent } from "./consumers.server";
import type { DomainEvent } from "./events";
import type { WebhookMetrics } from "./metrics";
import { normaliseBigCommerceDelivery } from "./normalise/bigcommerce";
import { normaliseShopifyDelivery } from "./normalise/shopify";
import { type ClaimedRow, claimInboxRows } from "./sql/claimInboxRows";
import { completeInboxRow } from "./sql/completeInboxRow";
import { failInboxRow } from "./sql/failInboxRow";
import { COMPLIANCE_TOPICS } from "./sql/storeDeliveries";
import { notifyApplied } from "./subscribers.server";

export interface WebhookWorkerOptions {
  sql: Sql;
  /** Unique per worker loop: leases are held in its name. */
  workerId: string;
  metrics: WebhookMetrics;
  bigCommerce?: BigCommerceReader;
  /** Attempts before a row becomes a dead letter, the first one included. */
  maxAttempts: number;
  leaseMs: number;
  /** Rows claimed at once. Each is processed within the lease, so keep batch x time per row well under `leaseMs`. */
  batchSize?: number;
  /** How long an idle worker waits before looking again (in-process deliveries wake it at once). */
  pollMs?: number;
  /** Backoff between attempts: exponential with full jitter, the project's one retry policy. */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
  random?: Random;
  now?: () => Date;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** Topics that still run for an uninstalled shop: the redactions the platform owes the merchant, and the uninstall itself. */
const AFTER_UNINSTALL = new Set([...COMPLIANCE_TOPICS, "app/uninstalled", "store/app/uninstalled"]);

class LeaseLost extends Error {}

function describe(error: unknown): string {
  if (error instanceof LockstepError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Normalises, applies and completes one claimed row; failures are recorded and scheduled for retry or dead-lettered. */
async function processRow(options: WebhookWorkerOptions, row: ClaimedRow): Promise<void> {
  const now = options.now ?? (() => new Date());
  try {
    const skip = !row.shopInstalled && !AFTER_UNINSTALL.has(row.topic);
    const events: DomainEvent[] = skip
      ? []
      : row.platform === "shopify"
        ? normaliseShopifyDelivery(row)
        : await normaliseBigCommerceDelivery(row, options.bigCommerce);
    // Events and completion commit together: a worker dying anywhere before the commit leaves
    // nothing applied, and its lease expiring hands the row to another worker.
    await options.sql.transaction(async (tx) => {
      for (const event of events) await applyEvent(tx, event, row.id);
      if (!(await completeInboxRow(tx, row.id, options.workerId, skip ? "skipped" : "processed"))) throw new LeaseLost();
    });
    options.metrics.processed({ receivedAt: row.receivedAt, storedAt: row.storedAt, processedAt: now(), attempts: row.attempts, skipped: skip });
    await notifyApplied(events, (error, event) => options.log?.("webhook subscriber failed", { event: event.type, error: describe(error) }));
  } catch (error) {
    if (error instanceof LeaseLost) {
      options.log?.("webhook lease lost: another worker has the row", { inboxId: row.id });
      return;
    }
    // A payload we cannot read will not get better by waiting: dead-letter it now.
    const poison = (error instanceof LockstepError && error.status === 422) || error instanceof SyntaxError;
    const dead = poison || row.attempts >= options.maxAttempts;
    const backoff = options.backoff ?? { baseDelayMs: 1000, maxDelayMs: 10 * 60_000 };
    const policy: RetryPolicy = { maxAttempts: options.maxAttempts, ...backoff };
    const retryAt = dead ? null : new Date(now().getTime() + retryDelay(policy, row.attempts, options.random ?? Math.random));
    try {
      const state = await failInboxRow(options.sql, { inboxId: row.id, workerId: options.workerId, attempt: row.attempts, error: describe(error), retryAt });
      if (state) options.metrics.failedAttempt(state === "dead");
      options.log?.("webhook attempt failed", { inboxId: row.id, topic: row.topic, attempt: row.attempts, state, error: describe(error) });
    } catch (recordError) {
      // The database is gone too: the lease will expire and the row will be claimed again.
      options.log?.("webhook failure could not be recorded", { inboxId: row.id, error: describe(recordError) });
    }
  }
}

/** One claim-and-process round; returns how many rows it claimed. Tests drive workers with it. */
export async function processDueRows(options: WebhookWorkerOptions): Promise<number> {
  const rows = await claimInboxRows(options.sql, options.workerId, options.batchSize ?? 20, options.leaseMs);
  for (const row of rows) await processRow(options, row);
  return rows.length;
}

export interface RunningWorker {
  /** Look for work now (a delivery was just stored). */
  wake(): void;
  /** Finishes the row in hand, then stops. */
  stop(): Promise<void>;
}

export function startWebhookWorker(options: WebhookWorkerOptions): RunningWorker {
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopped) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        wakeUp = undefined;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopped) {
      let claimed = 0;
      try {
        claimed = await processDueRows(options);
      } catch (error) {
        options.log?.("webhook worker could not claim rows", { workerId: options.workerId, error: describe(error) });
      }
      if (claimed === 0 && !stopped) await idle(options.pollMs ?? 250);
    }
  })();
  return {
    wake() {
      if (wakeUp) wakeUp();
      else woken = true;
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}
