import { LockstepError } from "../config/errors";
import type { Sql, SqlRunner } from "../db/database.server";
import type { Random } from "../outbound/clock";
import { type RetryPolicy, retryDelay } from "../outbound/retryPolicy";
import type { BigCommerceReader } from "./bigcommerceReader";
import { applyEvents } from "./consumers.server";
import type { DomainEvent } from "./events";
import type { WebhookMetrics } from "./metrics";
import { normaliseBigCommerceDelivery } from "./normalise/bigcommerce";
import { normaliseShopifyDelivery } from "./normalise/shopify";
import { type ClaimedRow, claimInboxRows } from "./sql/claimInboxRows";
import { completeInboxRows } from "./sql/completeInboxRows";
import { extendInboxLeases } from "./sql/extendInboxLeases";
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

interface PreparedRow {
  row: ClaimedRow;
  skip: boolean;
  events: DomainEvent[];
}

/** Turns a claimed row into domain events (BigCommerce read-backs are HTTP calls: never inside a transaction). */
async function prepare(options: WebhookWorkerOptions, row: ClaimedRow): Promise<PreparedRow> {
  const skip = !row.shopInstalled && !AFTER_UNINSTALL.has(row.topic);
  if (skip) return { row, skip, events: [] };
  const events = row.platform === "shopify" ? normaliseShopifyDelivery(row) : await normaliseBigCommerceDelivery(row, options.bigCommerce);
  return { row, skip, events };
}

/**
 * Applies the rows' events and completes the rows, inside the caller's transaction: events and
 * completion commit together, so a worker dying anywhere before the commit leaves nothing applied,
 * and its lease expiring hands the rows to another worker.
 */
async function apply(tx: SqlRunner, options: WebhookWorkerOptions, rows: PreparedRow[]): Promise<void> {
  await applyEvents(tx, rows.flatMap((prepared) => prepared.events.map((event) => ({ event, inboxId: prepared.row.id }))));
  const completed = await completeInboxRows(tx, options.workerId, {
    processed: rows.filter((prepared) => !prepared.skip).map((prepared) => prepared.row.id),
    skipped: rows.filter((prepared) => prepared.skip).map((prepared) => prepared.row.id),
  });
  if (completed !== rows.length) throw new LeaseLost();
}

async function applied(options: WebhookWorkerOptions, prepared: PreparedRow): Promise<void> {
  const { row } = prepared;
  options.metrics.processed({ receivedAt: row.receivedAt, storedAt: row.storedAt, processedAt: (options.now ?? (() => new Date()))(), attempts: row.attempts, skipped: prepared.skip });
  await notifyApplied(prepared.events, (error, event) => options.log?.("webhook subscriber failed", { event: event.type, error: describe(error) }));
}

/** Records a failed attempt: retried later with backoff, or a dead letter once the attempts are spent. */
async function recordFailure(options: WebhookWorkerOptions, row: ClaimedRow, error: unknown): Promise<void> {
  if (error instanceof LeaseLost) {
    options.log?.("webhook lease lost: another worker has the row", { inboxId: row.id });
    return;
  }
  // A payload we cannot read will not get better by waiting: dead-letter it now.
  const poison = (error instanceof LockstepError && error.status === 422) || error instanceof SyntaxError;
  const dead = poison || row.attempts >= options.maxAttempts;
  const backoff = options.backoff ?? { baseDelayMs: 1000, maxDelayMs: 10 * 60_000 };
  const policy: RetryPolicy = { maxAttempts: options.maxAttempts, ...backoff };
  const now = (options.now ?? (() => new Date()))();
  const retryAt = dead ? null : new Date(now.getTime() + retryDelay(policy, row.attempts, options.random ?? Math.random));
  try {
    const state = await failInboxRow(options.sql, { inboxId: row.id, workerId: options.workerId, attempt: row.attempts, error: describe(error), retryAt });
    if (state) options.metrics.failedAttempt(state === "dead");
    options.log?.("webhook attempt failed", { inboxId: row.id, topic: row.topic, attempt: row.attempts, state, error: describe(error) });
  } catch (recordError) {
    // The database is gone too: the lease will expire and the row will be claimed again.
    options.log?.("webhook failure could not be recorded", { inboxId: row.id, error: describe(recordError) });
  }
}

/**
 * One claim-and-process round; returns how many rows it claimed. The whole batch is applied in ONE
 * transaction (one commit, one WAL flush); if any row fails, nothing of the batch is kept and the
 * rows are applied one transaction each, so the failing row is isolated and the others still go.
 */
export async function processDueRows(options: WebhookWorkerOptions): Promise<number> {
  const now = options.now ?? (() => new Date());
  const claimedAt = now().getTime();
  const rows = await claimInboxRows(options.sql, options.workerId, options.batchSize ?? 50, options.leaseMs);
  const prepared: PreparedRow[] = [];
  for (const row of rows) {
    try {
      prepared.push(await prepare(options, row));
    } catch (error) {
      await recordFailure(options, row, error);
    }
  }
  if (prepared.length === 0) return rows.length;
  // Slow read-backs (a throttled BigCommerce API) can eat the lease: renew it before applying.
  if (now().getTime() - claimedAt > options.leaseMs / 2) {
    await extendInboxLeases(options.sql, options.workerId, prepared.map((row) => row.row.id), options.leaseMs);
  }
  let together = true;
  try {
    await options.sql.transaction((tx) => apply(tx, options, prepared));
  } catch {
    together = false;
  }
  for (const row of prepared) {
    try {
      if (!together) await options.sql.transaction((tx) => apply(tx, options, [row]));
      await applied(options, row);
    } catch (error) {
      await recordFailure(options, row.row, error);
    }
  }
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
