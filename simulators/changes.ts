/**
 * What every simulator reports when its state changes, so the webhook helper can turn it into
 * signed deliveries. `kind` is the platform's webhook topic (Shopify `inventory_levels/update`)
 * or scope (BigCommerce `store/product/inventory/updated`); `payload` is shaped like that
 * platform's webhook body.
 */
export interface SimulatedChange {
  kind: string;
  shop: string;
  payload: Record<string, unknown>;
  occurredAt: string;
}

export type ChangeListener = (change: SimulatedChange) => void;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: SimulatedChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        console.error("[simulator] change listener failed", error);
      }
    }
  }
}

/** Simulated time: real by default, a test or benchmark may pass its own. */
export interface SimulatorClock {
  now(): number;
}

export const realClock: SimulatorClock = { now: () => Date.now() };
