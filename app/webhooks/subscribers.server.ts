import type { DomainEvent, DomainEventOf, DomainEventType } from "../events/domainEvents";

/**
 * Called after an event has been applied and its inbox row committed. Delivery is at least once
 * (the call is owed in the outbox, written with the event; a worker dying before the call, or a
 * handler that throws, means it is made again, with backoff), so handlers must be idempotent, e.g.
 * keyed by `orderExternalId`.
 */
export type AppliedHandler<T extends DomainEventType> = (event: DomainEventOf<T>) => Promise<void> | void;

/**
 * Called once with every event of its type among those applied together (a worker's batch, in
 * order), for work that is cheaper done at once and does not depend on the events' order among
 * themselves, such as dropping cached entries. Same at-least-once rule: if it throws, it is called
 * again with each event alone, so a failure is owed only for the events it concerns.
 */
export type AppliedTogetherHandler<T extends DomainEventType> = (events: DomainEventOf<T>[]) => Promise<void> | void;

type AnyHandler = (event: DomainEvent) => Promise<void> | void;
type AnyTogetherHandler = (events: DomainEvent[]) => Promise<void> | void;

/** The process's subscribers to applied events (one list, in the process's context). */
export interface Subscribers {
  /** Subscribes to one event type; returns the function that unsubscribes. */
  onApplied<T extends DomainEventType>(type: T, handler: AppliedHandler<T>): () => void;
  /** Subscribes to one event type with a handler called once for all such events applied together. */
  onAppliedTogether<T extends DomainEventType>(type: T, handler: AppliedTogetherHandler<T>): () => void;
  /** True when something in this process subscribes to `type`: only then is a call owed (an outbox row written). */
  has(type: DomainEventType): boolean;
  /** Calls every subscriber of the event; a failing one does not stop the others. Returns what failed. */
  call(event: DomainEvent): Promise<unknown[]>;
  /**
   * Calls every subscriber of each event (the one-event handlers event by event, in order, then each
   * together-handler once with its type's events); a failing one does not stop the others. Returns
   * what failed for each event, by position.
   */
  callAll(events: DomainEvent[]): Promise<unknown[][]>;
}

function addTo<H>(registry: Map<DomainEventType, Set<H>>, type: DomainEventType, handler: H): () => void {
  const set = registry.get(type) ?? new Set<H>();
  registry.set(type, set);
  set.add(handler);
  return () => {
    set.delete(handler);
  };
}

async function failureOf(run: () => Promise<void> | void): Promise<unknown[]> {
  try {
    await run();
    return [];
  } catch (error) {
    return [error];
  }
}

export function createSubscribers(): Subscribers {
  const handlers = new Map<DomainEventType, Set<AnyHandler>>();
  const togetherHandlers = new Map<DomainEventType, Set<AnyTogetherHandler>>();
  const callAll = async (events: DomainEvent[]): Promise<unknown[][]> => {
    const errors = events.map((): unknown[] => []);
    for (const [i, event] of events.entries()) {
      for (const handler of handlers.get(event.type) ?? []) errors[i]!.push(...(await failureOf(() => handler(event))));
    }
    const positionsByType = new Map<DomainEventType, number[]>();
    for (const [i, event] of events.entries()) {
      if ((togetherHandlers.get(event.type)?.size ?? 0) === 0) continue;
      const positions = positionsByType.get(event.type) ?? [];
      positionsByType.set(event.type, positions);
      positions.push(i);
    }
    for (const [type, positions] of positionsByType) {
      for (const handler of togetherHandlers.get(type)!) {
        if ((await failureOf(() => handler(positions.map((i) => events[i]!)))).length === 0) continue;
        // Which event it failed for is unknown: each alone, so only those are owed again.
        for (const i of positions) errors[i]!.push(...(await failureOf(() => handler([events[i]!]))));
      }
    }
    return errors;
  };
  return {
    onApplied: (type, handler) => addTo(handlers, type, handler as AnyHandler),
    onAppliedTogether: (type, handler) => addTo(togetherHandlers, type, handler as AnyTogetherHandler),
    has(type) {
      return (handlers.get(type)?.size ?? 0) + (togetherHandlers.get(type)?.size ?? 0) > 0;
    },
    async call(event) {
      return (await callAll([event]))[0]!;
    },
    callAll,
  };
}

/**
 * Tells the subscribers of each event, in order (together-handlers once for all). A failing subscriber is reported and does not stop
 * the others: the event itself is already applied and committed.
 */
export async function notifyApplied(subscribers: Subscribers, events: DomainEvent[], report: (error: unknown, event: DomainEvent) => void): Promise<void> {
  const errors = await subscribers.callAll(events);
  for (const [i, event] of events.entries()) {
    for (const error of errors[i]!) report(error, event);
  }
}
