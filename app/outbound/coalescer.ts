import { type Clock } from "../config/clock";

export interface CoalescerOptions<V, R> {
  /** How long a key collects changes before they go out as one call. */
  windowMs: number;
  clock: Pick<Clock, "sleep">;
  /** Folds a newer change into the pending one; by default the latest wins. */
  merge?: (pending: V, next: V) => V;
  deliver: (key: string, value: V) => Promise<R>;
  /** Told each time a submission joins an already pending call (for metrics). */
  onCoalesced?: (key: string) => void;
}

interface Pending<V, R> {
  value: V;
  promise: Promise<R>;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Bursts for one key become one call: ten changes to one item inside the window are delivered
 * once, with the merged (by default the latest) value, and every submitter gets that call's result.
 * Calls for one key never overlap, so a later value can never be overtaken by an earlier one.
 */
export class Coalescer<V, R> {
  private readonly pending = new Map<string, Pending<V, R>>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly options: CoalescerOptions<V, R>) {}

  submit(key: string, value: V): Promise<R> {
    const existing = this.pending.get(key);
    if (existing) {
      existing.value = this.options.merge ? this.options.merge(existing.value, value) : value;
      this.options.onCoalesced?.(key);
      return existing.promise;
    }
    let resolve!: (result: R) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Pending<V, R> = { value, promise, resolve, reject };
    this.pending.set(key, entry);
    void this.deliverLater(key, entry);
    return promise;
  }

  /** Keys waiting for their window to close or for the previous call of the same key. */
  pendingCount(): number {
    return this.pending.size;
  }

  private async deliverLater(key: string, entry: Pending<V, R>): Promise<void> {
    await this.options.clock.sleep(this.options.windowMs);
    const previous = this.inFlight.get(key);
    if (previous) await previous.catch(() => undefined);
    this.pending.delete(key);
    const call = this.options.deliver(key, entry.value).then(entry.resolve, entry.reject);
    this.inFlight.set(key, call);
    await call;
    if (this.inFlight.get(key) === call) this.inFlight.delete(key);
  }
}
