import type Bottleneck from "bottleneck";
import { type Clock } from "../../outbound/clock";
import { type LimiterRegistry, reconfigure } from "../../outbound/limiterRegistry";

/** The `X-Rate-Limit-*` headers BigCommerce puts on every answer, 429s included. */
export interface QuotaHeaders {
  requestsQuota: number;
  requestsLeft: number;
  timeResetMs: number;
  timeWindowMs: number;
}

export function readQuotaHeaders(headers: Headers): QuotaHeaders | undefined {
  const number = (name: string) => {
    const value = headers.get(name);
    return value === null || value.trim() === "" ? undefined : Number(value);
  };
  const requestsQuota = number("x-rate-limit-requests-quota");
  const requestsLeft = number("x-rate-limit-requests-left");
  const timeResetMs = number("x-rate-limit-time-reset-ms");
  const timeWindowMs = number("x-rate-limit-time-window-ms");
  if ([requestsQuota, requestsLeft, timeResetMs, timeWindowMs].some((value) => value === undefined || Number.isNaN(value))) return undefined;
  return { requestsQuota: requestsQuota!, requestsLeft: requestsLeft!, timeResetMs: timeResetMs!, timeWindowMs: timeWindowMs! };
}

export interface QuotaBudgetOptions {
  /** Requests of one store in flight at once. */
  maxConcurrent?: number;
  /** Waits this much past the announced reset, for the clock difference between us and BigCommerce. */
  resetSlackMs?: number;
}

/**
 * Keeps one store inside its request quota. The quota is shared with every other app on the
 * store, so it is read from each answer, never assumed: the reservoir is set to what BigCommerce
 * says is left (minus our requests still in flight) and refilled only when the window resets.
 * When a window resets one request goes out as a probe; its answer tells the new window's
 * allowance.
 */
export class BigCommerceQuotaBudget {
  readonly limiter: Bottleneck;
  private windowEndsAt = 0;
  private windowLeft = 0;
  private resetTimer?: NodeJS.Timeout;
  private readonly maxConcurrent: number;
  private readonly resetSlackMs: number;
  private last?: QuotaHeaders;
  /** Requests of this process that got their answer and are still inside `sync`. */
  private answered = 0;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    registry: LimiterRegistry,
    storeHash: string,
    private readonly clock: Clock,
    options: QuotaBudgetOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrent ?? 4;
    this.resetSlackMs = options.resetSlackMs ?? 25;
    // One probe request until the first answer tells us the quota.
    this.limiter = registry.limiter({ kind: "bigcommerce", id: storeHash }, { maxConcurrent: this.maxConcurrent, reservoir: 1 });
  }

  lastQuota(): QuotaHeaders | undefined {
    return this.last;
  }

  /** Called inside the job that got the answer, while it still counts as running. */
  async sync(quota: QuotaHeaders): Promise<void> {
    this.answered++;
    // One answer at a time: two answers read-then-writing the reservoir together could over-grant.
    const turn = this.syncing.then(() => this.applyQuota(quota));
    this.syncing = turn.catch(() => undefined);
    try {
      await turn;
    } finally {
      this.answered--;
    }
  }

  private async applyQuota(quota: QuotaHeaders): Promise<void> {
    this.last = quota;
    const now = this.clock.now();
    const endsAt = now + quota.timeResetMs;
    // Requests still waiting for their answer; those already answered (this one included) are
    // counted in `requestsLeft`.
    const othersInFlight = Math.max(0, (await this.limiter.running()) - this.answered);
    // A reset more than the slack later than the one we knew means a new window began.
    const newWindow = endsAt > this.windowEndsAt + this.resetSlackMs;
    // Within a window `requestsLeft` only falls: the lowest seen is the freshest, whatever
    // order the answers are processed in.
    this.windowLeft = newWindow ? quota.requestsLeft : Math.min(this.windowLeft, quota.requestsLeft);
    const allowance = Math.max(0, this.windowLeft - othersInFlight);
    if (newWindow) {
      this.windowEndsAt = endsAt;
      await reconfigure(this.limiter, { reservoir: allowance });
    } else {
      // While requests are in flight the allowance is a lower bound (they may already be counted):
      // only lower the reservoir then. Once nothing is in flight and the reservoir is empty, the
      // allowance is exact and nothing can start meanwhile, so the slots held back are given back.
      const current = (await this.limiter.currentReservoir()) ?? allowance;
      if (allowance < current || (othersInFlight === 0 && current === 0 && allowance > 0)) {
        await reconfigure(this.limiter, { reservoir: allowance });
      }
    }
    this.armReset();
  }

  /** After a 429: nothing more until the window resets. */
  async exhausted(quota: QuotaHeaders | undefined, retryAfterMs: number): Promise<void> {
    if (quota) this.last = quota;
    this.windowEndsAt = Math.max(this.windowEndsAt, this.clock.now() + retryAfterMs);
    await reconfigure(this.limiter, { reservoir: 0 });
    this.armReset();
  }

  /**
   * A request got no answer (timeout, dropped connection), so no headers either. Before we know
   * anything about the window, its probe slot is handed back, or nothing would ever run again;
   * once a reset is scheduled, that reset refills the reservoir.
   */
  async noAnswer(): Promise<void> {
    if (this.resetTimer === undefined) await this.limiter.incrementReservoir(1);
  }

  close(): void {
    if (this.resetTimer) clearTimeout(this.resetTimer);
  }

  private armReset(): void {
    if (this.resetTimer) clearTimeout(this.resetTimer);
    const delay = Math.max(0, this.windowEndsAt - this.clock.now()) + this.resetSlackMs;
    this.resetTimer = setTimeout(() => {
      this.resetTimer = undefined;
      // One probe: its answer tells the new window's allowance, and with the reservoir empty
      // meanwhile nothing can start while that answer is applied.
      void reconfigure(this.limiter, { reservoir: 1 });
    }, delay);
    this.resetTimer.unref();
  }
}
