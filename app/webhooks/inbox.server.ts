import { LockstepError } from "../config/errors";
import type { Config } from "../config/config.server";
import type { Database, SqlRunner } from "../db/database.server";
import { GroupCommit, GroupCommitFull } from "./groupCommit";
import type { WebhookMetrics } from "./metrics.server";
import { log } from "../observability/log.server";
import { type Delivery, type StoreOutcome, storeDeliveries } from "./sql/storeDeliveries";

export interface Inbox {
  /**
   * Resolves once the delivery is durably stored (or known as a duplicate); 503 when the database cannot
   * store it or too much is waiting already. `requestGone` aborted before the write: dropped, nothing stored.
   */
  store(delivery: Delivery, requestGone?: AbortSignal): Promise<StoreOutcome>;
  /** Deliveries held in memory now, waiting to be stored or being written. */
  held(): number;
  /** Called after each flush that stored something: in-process workers start at once instead of at their next poll. */
  onStored(listener: () => void): () => void;
}

export interface InboxOptions {
  sql: SqlRunner;
  metrics: WebhookMetrics;
  now?: () => Date;
  /** Rows per INSERT. */
  maxBatch?: number;
  /** Flushes at once: 1 on PGlite (one connection), a few on PostgreSQL. */
  maxInFlight?: number;
  /**
   * A database that does not answer gets a 503 after this long, before Shopify's 5 s timeout, so the
   * platform retries rather than counting a failure. If the write lands later, the retry is a duplicate.
   */
  timeoutMs?: number;
  /** Deliveries held in memory at once (waiting or being written); beyond it: 503 with Retry-After. */
  queueLimit?: number;
  /** Their payload bytes at once. */
  queueLimitBytes?: number;
  log?: (message: string, error: unknown) => void;
}

/** What a full inbox tells the platform; Shopify and BigCommerce retry on their own schedules in any case. */
const BUSY_RETRY_AFTER_SECONDS = 2;

/** The durable inbox's front door: concurrent deliveries are group-committed in one statement. */
export function createInbox(options: InboxOptions): Inbox {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 4000;
  const listeners = new Set<() => void>();
  const flush = async (deliveries: Delivery[]): Promise<StoreOutcome[]> => {
    // The same delivery twice in one batch (a fast platform retry) is stored once; the other copy is a duplicate.
    const firstIndex = new Map<string, number>();
    const unique: Delivery[] = [];
    const slots = deliveries.map((delivery) => {
      const key = `${delivery.platform}:${delivery.shopDomain}:${delivery.deliveryId}`;
      const seen = firstIndex.get(key);
      if (seen !== undefined) return { index: seen, copy: true };
      firstIndex.set(key, unique.length);
      unique.push(delivery);
      return { index: unique.length - 1, copy: false };
    });
    const outcomes = await storeDeliveries(options.sql, unique);
    if (outcomes.some((outcome) => outcome.kind === "stored")) for (const listener of listeners) listener();
    return slots.map(({ index, copy }) => {
      const outcome = outcomes[index]!;
      return copy && outcome.kind === "stored" ? { kind: "duplicate", shopId: outcome.shopId } : outcome;
    });
  };
  const group = new GroupCommit(flush, {
    maxBatch: options.maxBatch ?? 500,
    maxInFlight: options.maxInFlight ?? 1,
    // Large product payloads: keep one statement's parameter to a few megabytes.
    weigh: (delivery) => delivery.payload.length,
    maxWeight: 4 * 1024 * 1024,
    maxHeld: options.queueLimit ?? 2000,
    maxHeldWeight: options.queueLimitBytes ?? 64 * 1024 * 1024,
    // The group commit gives up when the platform hangs up (`requestGone`) or the database is too slow
    // (one timer for every delivery held, not one each): either way a delivery still waiting is
    // dropped, and the platform's retry carries it.
    timeoutMs,
  });
  return {
    async store(delivery, requestGone) {
      let outcome: StoreOutcome;
      try {
        outcome = await group.submit(delivery, requestGone);
      } catch (error) {
        // The group commit rejects with the signal's own reason when the platform hung up; any other
        // error (the database's) is logged even if the platform has gone meanwhile.
        if (requestGone?.aborted && error === requestGone.reason) throw new LockstepError("request_aborted", "The platform closed the request before the delivery was stored");
        if (error instanceof GroupCommitFull) {
          throw new LockstepError("inbox_busy", "Too many deliveries are waiting to be stored; retry later", { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS });
        }
        options.log?.("webhook inbox write failed", error);
        // Never a 200 for something not stored: a 503 makes the platform deliver it again.
        throw new LockstepError("inbox_unavailable", "The delivery could not be stored; retry later");
      }
      if (outcome.kind === "stored") options.metrics.stored(now().getTime() - delivery.receivedAt.getTime());
      if (outcome.kind === "duplicate") options.metrics.duplicateDropped();
      return outcome;
    },
    held: () => group.size,
    onStored(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/** The process's inbox on its database (workers started in the same process listen to it). */
export function createProcessInbox(deps: { db: Database; config: Pick<Config, "webhooks">; metrics: WebhookMetrics }): Inbox {
  const { db, config } = deps;
  const inbox = createInbox({
    sql: db.sql,
    metrics: deps.metrics,
    // PGlite is one connection: more flushes at once would only queue behind each other.
    maxInFlight: db.kind === "pglite" ? 1 : 8,
    queueLimit: config.webhooks.queueLimit,
    queueLimitBytes: config.webhooks.queueLimitBytes,
    log: (message, error) => log.error(message, { error }),
  });
  if (db.kind === "postgres") wakeOtherProcesses(inbox, db);
  return inbox;
}

/** The channel `npm run worker` processes LISTEN on, so they start on a delivery at once instead of at their next poll. */
export const INBOX_CHANNEL = "lockstep_webhook_inbox";

/**
 * Each NOTIFY is a transaction of its own (its own commit and WAL flush, under PostgreSQL's cluster-wide
 * notify lock): one per flush doubled the commits at 1,000 deliveries/s. Other processes' workers are
 * woken at most once per this many milliseconds; in-process workers are woken directly on every flush.
 */
export const NOTIFY_SPACING_MS = 20;

function wakeOtherProcesses(inbox: Inbox, db: Database, spacingMs = NOTIFY_SPACING_MS): void {
  let sending = false;
  let again = false;
  const notify = (): void => {
    // One NOTIFY in flight at a time and at most one per spacing; flushes meanwhile fold into one more. Never on the 200's path.
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    const started = Date.now();
    db.sql
      .query(`SELECT pg_notify('${INBOX_CHANNEL}', '')`)
      .catch(() => undefined)
      .finally(() => {
        const next = () => {
          sending = false;
          if (again) {
            again = false;
            notify();
          }
        };
        const waitMs = started + spacingMs - Date.now();
        if (waitMs > 0) setTimeout(next, waitMs).unref();
        else next();
      });
  };
  inbox.onStored(notify);
}
