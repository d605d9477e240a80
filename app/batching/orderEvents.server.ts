import { LockstepError, describeError } from "../config/errors";
import { recordAudit } from "../audit/audit.server";
import type { LeasedQueueOptions } from "../db/claimDueRows";
import type { Sql, SqlRunner } from "../db/database.server";
import { log } from "../observability/log.server";
import { nextAttemptAt } from "../outbound/retryPolicy";
import type { DomainEvent } from "../events/domainEvents";
import type { AdapterRegistry } from "./adapters";
import { loadDestination } from "./destinations.server";
import { type ClaimedOrderEvent, claimOrderEvents } from "./sql/claimOrderEvents";
import { enqueueOrderEvents } from "./sql/enqueueOrderEvents";
import { replayOrderEventDeadLetters } from "./sql/orderEventDeadLetters";
import { completeOrderEvent, failOrderEvent } from "./sql/settleOrderEvent";
import type { Destination, DestinationAdapter, OutboundEvent } from "./types";

// Real-time fan-out of order events to the destinations that receive orders ("webhook fan-out to
// WMS, fraud, ESP and support systems via a queue, not direct calls"). The queue is the webhook
// inbox's lease design on its own table (`destination_event`): written with the event, claimed with
// SKIP LOCKED and a lease, retried with the project's backoff, dead after its attempts, replayable.

const EVENT_TYPES: Partial<Record<DomainEvent["type"], string>> = {
  OrderCreated: "order.created",
  OrderUpdated: "order.updated",
  OrderCancelled: "order.cancelled",
  RefundCreated: "refund.created",
};

/**
 * Called by the webhook consumers inside the transaction that applies the events: queues every
 * order event for each live destination of its shop that receives orders, and records for each
 * shadow one what it would have been sent (nothing is sent to it). Commit and queue are one: a
 * worker dying before the commit queues nothing (the redelivery will), after it nothing is lost.
 */
export async function enqueueAppliedOrderEvents(tx: SqlRunner, events: Array<{ event: DomainEvent }>): Promise<{ queued: number; shadowed: number }> {
  const orderEvents = events.flatMap(({ event }) => {
    const wireType = EVENT_TYPES[event.type];
    return "orderExternalId" in event && wireType
      ? [{ shopId: event.shopId, orderKey: event.orderExternalId, type: event.type, wireType, occurredAt: new Date(event.occurredAt).toISOString(), event }]
      : [];
  });
  return enqueueOrderEvents(tx, orderEvents);
}

/**
 * Staff or an operator replay a destination's dead order events (the selected ids, or all of them):
 * back in the queue and, in the same transaction, one audit entry (`order_events.replay`) naming
 * who, the destination and the events. Nothing dead: nothing replayed, nothing audited.
 */
export async function replayOrderEvents(sql: Sql, input: { destinationId: string; ids?: string[]; actor: string }): Promise<string[]> {
  return sql.transaction(async (tx) => {
    const replayed = await replayOrderEventDeadLetters(tx, { destinationId: input.destinationId, ids: input.ids });
    if (replayed.ids.length === 0) return [];
    await recordAudit(tx, { shopId: replayed.shopId!, actor: input.actor, action: "order_events.replay", target: input.destinationId, after: { events: replayed.ids } });
    return replayed.ids;
  });
}

/** The queue's knobs (`batchSize`: events claimed at once, each the head of its order, so they go out side by side). */
export interface OrderEventDeliveryOptions extends LeasedQueueOptions {
  sql: SqlRunner;
  encryptionKey: string;
  adapters: AdapterRegistry;
}

const DEFAULTS = { maxAttempts: 8, leaseMs: 60_000, maxLeaseExpiries: 5, batchSize: 20, pollMs: 1_000, backoff: { baseDelayMs: 1_000, maxDelayMs: 10 * 60_000 } };


function outboundEventOf(row: ClaimedOrderEvent): OutboundEvent {
  return { id: `oe_${row.id}`, type: EVENT_TYPES[row.eventType as DomainEvent["type"]] ?? row.eventType, timestamp: String(row.event.occurredAt ?? ""), data: row.event };
}

/** The destination's circuit is open: nothing was sent, the event waits for the circuit's next probe. */
function circuitWait(error: unknown): number | undefined {
  if (!(error instanceof LockstepError) || error.code !== "circuit_open") return undefined;
  const wait = error.details?.retryAfterMs;
  return typeof wait === "number" ? wait : 1_000;
}

/** When the next attempt may run after `attempts` failed ones, or null: a dead letter. */
function retryAtOf(options: OrderEventDeliveryOptions, attempts: number, error: unknown): Date | null {
  const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  const circuit = circuitWait(error);
  if (circuit !== undefined) return new Date((options.now ?? (() => new Date()))().getTime() + circuit);
  // The receiver refused the event as such (4xx): sending it again will not change its mind.
  if (error instanceof LockstepError && error.code === "outbound_rejected") return null;
  return nextAttemptAt({ maxAttempts, ...(options.backoff ?? DEFAULTS.backoff) }, attempts, (options.now ?? (() => new Date()))(), options.random ?? Math.random);
}

/**
 * One claim-and-deliver round; returns how many events it claimed. Claimed events are each the
 * oldest of their destination and order, so they go out side by side; the next event of an order is
 * due only once this one is deleted. Every call goes through the destination kind's adapter, hence
 * app/outbound (the destination's limiter and breaker).
 */
export async function deliverDueOrderEvents(options: OrderEventDeliveryOptions): Promise<number> {
  const claimed = await claimOrderEvents(
    options.sql,
    options.workerId,
    options.batchSize ?? DEFAULTS.batchSize,
    options.leaseMs ?? DEFAULTS.leaseMs,
    options.maxLeaseExpiries ?? DEFAULTS.maxLeaseExpiries,
  );
  const targets = new Map<string, Promise<{ destination: Destination; adapter: DestinationAdapter }>>();
  const targetOf = (destinationId: string) => {
    let target = targets.get(destinationId);
    if (!target) {
      target = loadDestination(options, destinationId).then((destination) => ({ destination, adapter: options.adapters.adapterFor(destination.kind) }));
      targets.set(destinationId, target);
    }
    return target;
  };
  await Promise.all(
    claimed.map(async (row) => {
      try {
        const { destination, adapter } = await targetOf(row.destinationId);
        if (!adapter.deliverEvent) throw new LockstepError("invalid_destination", `destinations of kind ${destination.kind} cannot receive order events`);
        await adapter.deliverEvent(destination, outboundEventOf(row));
        await completeOrderEvent(options.sql, options.workerId, row.id);
      } catch (error) {
        const retryAt = retryAtOf(options, row.attempts, error);
        try {
          const notAnAttempt = circuitWait(error) !== undefined;
          const state = await failOrderEvent(options.sql, { id: row.id, workerId: options.workerId, error: describeError(error), retryAt, notAnAttempt });
          log.warn("order event delivery failed", { destinationId: row.destinationId, eventId: row.id, order: row.orderKey, attempt: row.attempts, state, error: describeError(error) });
        } catch (recordError) {
          // The lease will run out and the event will be claimed again.
          log.warn("order event failure could not be recorded", { eventId: row.id, error: describeError(recordError) });
        }
      }
    }),
  );
  return claimed.length;
}

/**
 * Every process's background work delivers order events: claims what is due until nothing is,
 * then looks again every `pollMs`. Resolves the stop once the round in hand finished.
 */
export function startOrderEventDelivery(options: OrderEventDeliveryOptions): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const round = () => {
    running = (async () => {
      try {
        while (!stopped && (await deliverDueOrderEvents(options)) > 0);
      } catch (error) {
        log.warn("order events could not be claimed", { workerId: options.workerId, error: describeError(error) });
      }
      if (!stopped) timer = setTimeout(round, options.pollMs ?? DEFAULTS.pollMs);
    })();
  };
  round();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

export { listOrderEventDeadLetters, type OrderEventDeadLetter } from "./sql/orderEventDeadLetters";
export { listShadowOrderEvents, type ShadowOrderEvent } from "./sql/shadowOrderEvents";
