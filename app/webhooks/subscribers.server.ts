import type { DomainEvent, DomainEventOf, DomainEventType } from "./events";

/**
 * Called after an event has been applied and its inbox row committed. Delivery is at least once
 * (the call is owed in the outbox, written with the event; a worker dying before the call, or a
 * handler that throws, means it is made again, with backoff), so handlers must be idempotent, e.g.
 * keyed by `orderExternalId`.
 */
export type AppliedHandler<T extends DomainEventType> = (event: DomainEventOf<T>) => Promise<void> | void;

type AnyHandler = (event: DomainEvent) => Promise<void> | void;

const slot = globalThis as { __lockstepWebhookSubscribers?: Map<DomainEventType, Set<AnyHandler>> };

function handlers(): Map<DomainEventType, Set<AnyHandler>> {
  // On globalThis: the Remix build carries its own copy of the app's modules, and both must see one list.
  slot.__lockstepWebhookSubscribers ??= new Map();
  return slot.__lockstepWebhookSubscribers;
}

/** Subscribes to one event type; returns the function that unsubscribes. */
export function onApplied<T extends DomainEventType>(type: T, handler: AppliedHandler<T>): () => void {
  const set = handlers().get(type) ?? new Set<AnyHandler>();
  handlers().set(type, set);
  const anyHandler = handler as AnyHandler;
  set.add(anyHandler);
  return () => {
    set.delete(anyHandler);
  };
}

/** True when something in this process subscribes to `type`: only then is a call owed (an outbox row written). */
export function hasSubscribers(type: DomainEventType): boolean {
  return (handlers().get(type)?.size ?? 0) > 0;
}

/** Calls every subscriber of the event; a failing one does not stop the others. Returns what failed. */
export async function callSubscribers(event: DomainEvent): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const handler of handlers().get(event.type) ?? []) {
    try {
      await handler(event);
    } catch (error) {
      errors.push(error);
    }
  }
  return errors;
}

/**
 * Tells the subscribers of each event, in order. A failing subscriber is reported and does not stop
 * the others: the event itself is already applied and committed.
 */
export async function notifyApplied(events: DomainEvent[], report: (error: unknown, event: DomainEvent) => void): Promise<void> {
  for (const event of events) {
    for (const error of await callSubscribers(event)) report(error, event);
  }
}
