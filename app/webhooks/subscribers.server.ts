import type { DomainEvent, DomainEventOf, DomainEventType } from "../events/domainEvents";

/**
 * Called after an event has been applied and its inbox row committed. Delivery is at least once
 * (the call is owed in the outbox, written with the event; a worker dying before the call, or a
 * handler that throws, means it is made again, with backoff), so handlers must be idempotent, e.g.
 * keyed by `orderExternalId`.
 */
export type AppliedHandler<T extends DomainEventType> = (event: DomainEventOf<T>) => Promise<void> | void;

type AnyHandler = (event: DomainEvent) => Promise<void> | void;

/** The process's subscribers to applied events (one list, in the process's context). */
export interface Subscribers {
  /** Subscribes to one event type; returns the function that unsubscribes. */
  onApplied<T extends DomainEventType>(type: T, handler: AppliedHandler<T>): () => void;
  /** True when something in this process subscribes to `type`: only then is a call owed (an outbox row written). */
  has(type: DomainEventType): boolean;
  /** Calls every subscriber of the event; a failing one does not stop the others. Returns what failed. */
  call(event: DomainEvent): Promise<unknown[]>;
}

export function createSubscribers(): Subscribers {
  const handlers = new Map<DomainEventType, Set<AnyHandler>>();
  return {
    onApplied(type, handler) {
      const set = handlers.get(type) ?? new Set<AnyHandler>();
      handlers.set(type, set);
      const anyHandler = handler as AnyHandler;
      set.add(anyHandler);
      return () => {
        set.delete(anyHandler);
      };
    },
    has(type) {
      return (handlers.get(type)?.size ?? 0) > 0;
    },
    async call(event) {
      const errors: unknown[] = [];
      for (const handler of handlers.get(event.type) ?? []) {
        try {
          await handler(event);
        } catch (error) {
          errors.push(error);
        }
      }
      return errors;
    },
  };
}

/**
 * Tells the subscribers of each event, in order. A failing subscriber is reported and does not stop
 * the others: the event itself is already applied and committed.
 */
export async function notifyApplied(subscribers: Subscribers, events: DomainEvent[], report: (error: unknown, event: DomainEvent) => void): Promise<void> {
  for (const event of events) {
    for (const error of await subscribers.call(event)) report(error, event);
  }
}
