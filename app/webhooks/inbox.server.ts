import { LockstepError } from "../config/errors";
import type { SqlRunner } from "../db/database.server";
import { GroupCommit } from "./groupCommit";
import type { WebhookMetrics } from "./metrics";
import { type Delivery, type StoreOutcome, storeDeliveries } from "./sql/storeDeliveries";

export interface Inbox {
  /** Resolves once the delivery is durably stored (or known as a duplicate); 503 when the database cannot store it. */
  store(delivery: Delivery): Promise<StoreOutcome>;
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
  log?: (message: string, error: unknown) => void;
}

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
      const key = `${delivery.platform}:${delivery.deliveryId}`;
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
  });
  return {
    async store(delivery) {
      let outcome: StoreOutcome;
      let timer: NodeJS.Timeout | undefined;
      try {
        outcome = await Promise.race([
          group.submit(delivery),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer from the database within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (error) {
        options.log?.("webhook inbox write failed", error);
        // Never a 200 for something not stored: a 503 makes the platform deliver it again.
        throw new LockstepError("inbox_unavailable", "The delivery could not be stored; retry later", 503);
      } finally {
        clearTimeout(timer);
      }
      if (outcome.kind === "stored") options.metrics.stored(now().getTime() - delivery.receivedAt.getTime());
      if (outcome.kind === "duplicate") options.metrics.duplicateDropped();
      return outcome;
    },
    onStored(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
