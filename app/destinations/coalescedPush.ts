import { createHash } from "node:crypto";
import { type Clock, systemClock } from "../outbound/clock";
import { Coalescer } from "../outbound/coalescer";
import { type HttpDestination } from "./httpDestination";

export interface CoalescedPushOptions<V> {
  /** Where the pushes go on the destination, e.g. `/api/inventory`. */
  path: string;
  /** How long changes to one key gather before one push goes out. */
  windowMs: number;
  clock?: Clock;
  /** Folds a newer change into the pending one; by default the latest wins. */
  merge?: (pending: V, next: V) => V;
}

export interface CoalescedPush<V> {
  /** Resolves when the push carrying this change (or a later one for the same key) was accepted. */
  push(key: string, value: V): Promise<void>;
  pending(): number;
}

/**
 * Real-time pushes to a destination with bursts coalesced per key (an item, a SKU at a location):
 * ten changes to one item inside the window become one call with the latest state, and that call
 * waits its turn in the destination's limiter. The Idempotency-Key is derived from the key and
 * the content, so a retried push is recognisable and an identical one is not applied twice.
 */
export function coalescedPush<V>(destination: HttpDestination, options: CoalescedPushOptions<V>): CoalescedPush<V> {
  const coalescer = new Coalescer<V, void>({
    windowMs: options.windowMs,
    clock: options.clock ?? systemClock,
    merge: options.merge,
    onCoalesced: () => {
      destination.metrics.coalesced++;
    },
    deliver: async (key, value) => {
      const body = JSON.stringify(value);
      const idempotencyKey = createHash("sha256").update(key).update("\n").update(body).digest("base64url");
      await destination.send(options.path, value, { idempotencyKey });
    },
  });
  return {
    push: (key, value) => coalescer.submit(key, value),
    pending: () => coalescer.pendingCount(),
  };
}
