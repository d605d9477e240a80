import { type Clock } from "../config/clock";
import { circuitOpenError, outboundDetails } from "./errors";

export type CircuitState = "closed" | "open" | "half_open";

export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit rejects calls before letting one probe through. */
  openMs: number;
  /** Each failed probe doubles the pause, up to this. */
  maxOpenMs: number;
}

export const defaultCircuitBreakerSettings: CircuitBreakerSettings = { failureThreshold: 5, openMs: 5_000, maxOpenMs: 120_000 };

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt?: number;
  /** When an open circuit lets the next probe through. */
  retryAt?: number;
  lastError?: string;
}

/** A destination's circuit as its client sees it: kept by this process, or shared by the cluster. */
export interface Breaker {
  readonly target: string;
  /** Runs `call` right before it leaves, unless the circuit is open (or another call is its probe). */
  run<T>(call: () => Promise<T>): Promise<T>;
  /** Refuses a call before it queues when the circuit is known to be open (no round trip). */
  refuseIfOpen(): void;
  snapshot(): CircuitSnapshot;
  onChange(listener: (snapshot: CircuitSnapshot) => void): () => void;
  /** Brings the snapshot up to date with the cluster's state; nothing to do in one process. */
  refresh(): Promise<void>;
}

/**
 * Stops calling a destination that keeps failing, then probes it with one call at a time.
 * Only failures that say "the other side is unwell" count (5xx, timeouts, refused connections);
 * a 4xx for one bad payload says nothing about the destination and leaves the circuit alone.
 */
export class CircuitBreaker implements Breaker {
  private state: CircuitState = "closed";
  private consecutiveFailures = 0;
  private openedAt?: number;
  private currentOpenMs: number;
  private probeInFlight = false;
  private lastError?: string;
  private readonly listeners = new Set<(snapshot: CircuitSnapshot) => void>();

  constructor(
    readonly target: string,
    private readonly settings: CircuitBreakerSettings,
    private readonly clock: Pick<Clock, "now">,
  ) {
    this.currentOpenMs = settings.openMs;
  }

  snapshot(): CircuitSnapshot {
    const state = this.currentState();
    return {
      state,
      consecutiveFailures: this.consecutiveFailures,
      openedAt: this.openedAt,
      retryAt: this.openedAt === undefined || state === "closed" ? undefined : this.openedAt + this.currentOpenMs,
      lastError: this.lastError,
    };
  }

  onChange(listener: (snapshot: CircuitSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async refresh(): Promise<void> {}

  refuseIfOpen(): void {
    const state = this.currentState();
    if (state === "open" || (state === "half_open" && this.probeInFlight)) {
      const retryAt = (this.openedAt ?? this.clock.now()) + this.currentOpenMs;
      throw circuitOpenError(this.target, Math.max(0, retryAt - this.clock.now()));
    }
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    this.refuseIfOpen();
    const probing = this.state === "half_open";
    if (probing) this.probeInFlight = true;
    try {
      const result = await call();
      this.recordSuccess();
      return result;
    } catch (error) {
      if (countsAsFailure(error)) this.recordFailure(error, probing);
      else if (probing) this.recordSuccess();
      throw error;
    } finally {
      if (probing) this.probeInFlight = false;
    }
  }

  private currentState(): CircuitState {
    if (this.state === "open" && this.openedAt !== undefined && this.clock.now() >= this.openedAt + this.currentOpenMs) {
      this.transition("half_open");
    }
    return this.state;
  }

  private recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.currentOpenMs = this.settings.openMs;
    if (this.state !== "closed") {
      this.openedAt = undefined;
      this.transition("closed");
    }
  }

  private recordFailure(error: unknown, probing: boolean): void {
    this.consecutiveFailures++;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (probing) {
      this.currentOpenMs = Math.min(this.settings.maxOpenMs, this.currentOpenMs * 2);
      this.open();
    } else if (this.state === "closed" && this.consecutiveFailures >= this.settings.failureThreshold) {
      this.open();
    }
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.transition("open");
  }

  private transition(state: CircuitState): void {
    this.state = state;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }
}

export function countsAsFailure(error: unknown): boolean {
  const details = outboundDetails(error);
  // Throttles mean "slow down", not "broken"; the limiter handles them.
  if (details && error instanceof Error && "code" in error && error.code === "outbound_throttled") return false;
  return details ? details.retryable : true;
}
