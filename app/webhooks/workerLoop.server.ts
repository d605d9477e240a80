import { LockstepError, describeError } from "../config/errors";
import type { LeasedQueueOptions } from "../db/claimDueRows";
import type { Sql, SqlRunner } from "../db/database.server";
import { nextAttemptAt } from "../outbound/retryPolicy";
import type { BigCommerceReader } from "../platforms/bigcommerce/readBack";
import { applyEvents } from "./consumers.server";
import type { DomainEvent } from "../events/domainEvents";
import type { WebhookMetrics } from "./metrics.server";
import { normaliseBigCommerceDelivery } from "./normalise/bigcommerce";
import { normaliseShopifyDelivery } from "./normalise/shopify";
import { type ClaimedRow, claimInboxRows } from "./sql/claimInboxRows";
import { completeInboxRows } from "./sql/completeInboxRows";
import { extendInboxLeases } from "./sql/extendInboxLeases";
import { failInboxRow } from "./sql/failInboxRow";
import { COMPLIANCE_TOPICS } from "./sql/storeDeliveries";
import { addOutboxRows } from "./sql/addOutboxRows";
import { claimOutboxRows, type OwedCall } from "./sql/claimOutboxRows";
import { completeOutboxRows } from "./sql/completeOutboxRows";
import { failOutboxRow } from "./sql/failOutboxRow";
import type { Subscribers } from "./subscribers.server";
import { log } from "../observability/log.server";

/**
 * The queue's knobs; each row of a batch is processed within the lease, so keep `batchSize` x time
 * per row well under `leaseMs`. In-process deliveries wake an idle worker before `pollMs`.
 */
export interface WebhookWorkerOptions extends LeasedQueueOptions {
  sql: Sql;
  metrics: WebhookMetrics;
  bigCommerce?: BigCommerceReader;
  /** Called after each applied event (an outbox row is owed only for events someone subscribes to). */
  subscribers?: Subscribers;
  maxAttempts: number;
  leaseMs: number;
  /**
   * While claims come back full (a backlog), the loop claims more at once, up to this (default:
   * `batchSize`, no growth): one claim, one transaction and one commit for more events.
   */
  maxBatchSize?: number;
  log?: (message: string, details: Record<string, unknown>) => void;
}

/** Topics that still run for an uninstalled shop: the redactions the platform owes the merchant, and the uninstall itself. */
const AFTER_UNINSTALL = new Set([...COMPLIANCE_TOPICS, "app/uninstalled", "store/app/uninstalled"]);

class LeaseLost extends Error {}


interface PreparedRow {
  row: ClaimedRow;
  skip: boolean;
  events: DomainEvent[];
  /** The subscriber calls owed for the events, written with them (set by `apply`). */
  owed: OwedCall[];
}

/** Turns a claimed row into domain events (BigCommerce read-backs are HTTP calls: never inside a transaction). */
async function prepare(options: WebhookWorkerOptions, row: ClaimedRow): Promise<PreparedRow> {
  const skip = !row.shopInstalled && !AFTER_UNINSTALL.has(row.topic);
  if (skip) return { row, skip, events: [], owed: [] };
  const events = row.platform === "shopify" ? normaliseShopifyDelivery(row) : await normaliseBigCommerceDelivery(row, options.bigCommerce);
  return { row, skip, events, owed: [] };
}

/**
 * Applies the rows' events and completes the rows, inside the caller's transaction: events and
 * completion commit together, so a worker dying anywhere before the commit leaves nothing applied,
 * and its lease expiring hands the rows to another worker.
 */
async function apply(tx: SqlRunner, options: WebhookWorkerOptions, rows: PreparedRow[]): Promise<void> {
  // The delivery id is the correlation id the captured changes carry (the Trace page follows it).
  const applying = rows.flatMap((prepared) => prepared.events.map((event) => ({ event, inboxId: prepared.row.id, correlationId: prepared.row.deliveryId, prepared })));
  await applyEvents(tx, applying);
  // The subscriber calls are owed from the same commit as the events: a crash after it cannot lose them.
  const owing = applying.filter(({ event }) => options.subscribers?.has(event.type) ?? false);
  for (const prepared of rows) prepared.owed = [];
  if (owing.length > 0) {
    const ids = await addOutboxRows(tx, options.workerId, options.leaseMs, owing);
    owing.forEach(({ event, prepared }, i) => prepared.owed.push({ id: ids[i]!, event, attempts: 1 }));
  }
  const completed = await completeInboxRows(tx, options.workerId, {
    processed: rows.filter((prepared) => !prepared.skip).map((prepared) => prepared.row.id),
    skipped: rows.filter((prepared) => prepared.skip).map((prepared) => prepared.row.id),
  });
  if (completed !== rows.length) throw new LeaseLost();
}

function applied(options: WebhookWorkerOptions, prepared: PreparedRow): void {
  const { row } = prepared;
  const processedAt = (options.now ?? (() => new Date()))();
  options.metrics.processed({ ...row, processedAt, skipped: prepared.skip });
}

/** When the next attempt may run after `attempts` failed ones, or null: a dead letter. */
function retryAtOf(options: WebhookWorkerOptions, attempts: number): Date | null {
  const backoff = options.backoff ?? { baseDelayMs: 1000, maxDelayMs: 10 * 60_000 };
  return nextAttemptAt({ maxAttempts: options.maxAttempts, ...backoff }, attempts, (options.now ?? (() => new Date()))(), options.random ?? Math.random);
}

/**
 * Makes owed subscriber calls, in order (together-handlers once for all), and forgets those that went through. A call whose subscriber
 * failed is made again later with backoff (every subscriber of the event: they are idempotent), and
 * becomes a dead letter once its attempts are spent.
 */
async function makeOwedCalls(options: WebhookWorkerOptions, calls: OwedCall[]): Promise<void> {
  const made: string[] = [];
  // All at once: a batch's stock changes drop their cached SKUs in one lookup and one invalidation.
  const errorsByCall = (await options.subscribers?.callAll(calls.map((call) => call.event))) ?? [];
  for (const [i, call] of calls.entries()) {
    const errors = errorsByCall[i] ?? [];
    if (errors.length === 0) {
      made.push(call.id);
      continue;
    }
    const error = errors.map(describeError).join("; ");
    try {
      const state = await failOutboxRow(options.sql, { id: call.id, workerId: options.workerId, error, retryAt: retryAtOf(options, call.attempts) });
      options.log?.("webhook subscriber failed", { event: call.event.type, outboxId: call.id, attempt: call.attempts, state, error });
    } catch (recordError) {
      // The lease will run out and the call will be made again.
      options.log?.("webhook subscriber failure could not be recorded", { outboxId: call.id, error: describeError(recordError) });
    }
  }
  if (made.length > 0) await completeOutboxRows(options.sql, options.workerId, made);
}

/**
 * Makes the subscriber calls whose worker died before making them, or that are due again after a
 * failure; returns how many it claimed.
 */
export async function makeDueOwedCalls(options: WebhookWorkerOptions): Promise<number> {
  const calls = await claimOutboxRows(options.sql, options.workerId, options.batchSize ?? 50, options.leaseMs, options.maxLeaseExpiries ?? 5);
  if (calls.length > 0) await makeOwedCalls(options, calls);
  return calls.length;
}

/** Records a failed attempt: retried later with backoff, or a dead letter once the attempts are spent. */
async function recordFailure(options: WebhookWorkerOptions, row: ClaimedRow, error: unknown): Promise<void> {
  if (error instanceof LeaseLost) {
    // Routine when a lease ran out under load: not a warning.
    log.debug("webhook lease lost: another worker has the row", { inboxId: row.id });
    return;
  }
  // A payload we cannot read will not get better by waiting: dead-letter it now.
  const poison = (error instanceof LockstepError && error.status === 422) || error instanceof SyntaxError;
  const retryAt = poison ? null : retryAtOf(options, row.attempts);
  try {
    const state = await failInboxRow(options.sql, { inboxId: row.id, workerId: options.workerId, attempt: row.attempts, error: describeError(error), retryAt });
    if (state) options.metrics.failedAttempt(state === "dead");
    options.log?.("webhook attempt failed", { inboxId: row.id, correlationId: row.deliveryId, topic: row.topic, attempt: row.attempts, state, error: describeError(error) });
  } catch (recordError) {
    // The database is gone too: the lease will expire and the row will be claimed again.
    options.log?.("webhook failure could not be recorded", { inboxId: row.id, error: describeError(recordError) });
  }
}

/**
 * One claim-and-process round; returns how many rows it claimed. The whole batch is applied in ONE
 * transaction (one commit, one WAL flush); if any row fails, nothing of the batch is kept and the
 * rows are applied one transaction each, so the failing row is isolated and the others still go.
 */
export async function processDueRows(options: WebhookWorkerOptions, limit = options.batchSize ?? 50): Promise<number> {
  const now = options.now ?? (() => new Date());
  let leasedAt = now().getTime();
  const rows = await claimInboxRows(options.sql, options.workerId, limit, options.leaseMs, options.maxLeaseExpiries ?? 5);
  const prepared: PreparedRow[] = [];
  for (const [i, row] of rows.entries()) {
    try {
      prepared.push(await prepare(options, row));
    } catch (error) {
      await recordFailure(options, row, error);
    }
    // Slow read-backs (a throttled BigCommerce API) can eat the lease: renew it before it runs out.
    if (now().getTime() - leasedAt > options.leaseMs / 2) {
      await extendInboxLeases(options.sql, options.workerId, [...prepared.map((ready) => ready.row.id), ...rows.slice(i + 1).map((next) => next.id)], options.leaseMs);
      leasedAt = now().getTime();
    }
  }
  if (prepared.length === 0) return rows.length;
  let together = true;
  try {
    await options.sql.transaction((tx) => apply(tx, options, prepared));
  } catch {
    together = false;
  }
  const owed: OwedCall[] = [];
  for (const row of prepared) {
    try {
      if (!together) await options.sql.transaction((tx) => apply(tx, options, [row]));
      applied(options, row);
      owed.push(...row.owed);
    } catch (error) {
      await recordFailure(options, row.row, error);
    }
  }
  if (owed.length > 0) await makeOwedCalls(options, owed);
  return rows.length;
}

/**
 * How many rows the next claim takes after one that claimed `claimed` of `limit` in `elapsedMs`:
 * `batchSize` while the queue keeps up; while claims come back full, twice the last, up to
 * `maxBatchSize` and to what the last batch's pace finishes within a tenth of the lease.
 */
export function nextBatchSize(options: WebhookWorkerOptions, last: { limit: number; claimed: number; elapsedMs: number }): number {
  const base = options.batchSize ?? 50;
  if (last.claimed < last.limit) return base;
  const withinLease = Math.floor((options.leaseMs / 10) * (last.claimed / Math.max(last.elapsedMs, 1)));
  return Math.max(base, Math.min(options.maxBatchSize ?? base, last.limit * 2, withinLease));
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
  const pollMs = options.pollMs ?? 250;
  const now = () => (options.now ?? (() => new Date()))().getTime();
  let lastOwedCalls = 0;
  let limit = options.batchSize ?? 50;
  const loop = (async () => {
    while (!stopped) {
      let claimed = 0;
      try {
        const started = now();
        claimed = await processDueRows(options, limit);
        limit = nextBatchSize(options, { limit, claimed, elapsedMs: now() - started });
        // Owed calls left behind (a dead worker's, or due again) are looked for when idle, and at least every poll while busy.
        if (claimed === 0 || now() - lastOwedCalls >= pollMs) {
          lastOwedCalls = now();
          claimed += await makeDueOwedCalls(options);
        }
      } catch (error) {
        options.log?.("webhook worker could not claim rows", { workerId: options.workerId, error: describeError(error) });
      }
      if (claimed === 0 && !stopped) await idle(pollMs);
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
