import type Bottleneck from "bottleneck";
import { type Clock } from "../../outbound/clock";
import { type LimiterRegistry } from "../../outbound/limiterRegistry";

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
 * store, so it is read from the answers, never assumed. When a window opens, one request goes out
 * as a probe and its `requestsLeft` becomes the reservoir; from then on the reservoir counts our
 * own requests down exactly (Bottleneck takes one per request), and the answers are only used to
 * notice what others spent: whatever `requestsLeft` fell by beyond the requests we sent is taken
 * off the reservoir too. Only differences are applied, so a request starting meanwhile cannot
 * make the count wrong; every estimate errs on the side of sending less.
 */
export class BigCommerceQuotaBudget {
  readonly limiter: Bottleneck;
  private windowEndsAt = 0;
  /** `requestsLeft` of the answer that opened the window, and the lowest seen since. */
  private windowStartLeft = 0;
  private windowLowestLeft = 0;
  /** Our requests started since the window opened (this process; the cluster's when clustered). */
  private sentBase = 0;
  private sentLocally = 0;
  /** What others were already found to have spent in this window (taken off the reservoir). */
  private othersCounted = 0;
  private resetTimer?: NodeJS.Timeout;
  private readonly maxConcurrent: number;
  private readonly resetSlackMs: number;
  private readonly clustered: boolean;
  private last?: QuotaHeaders;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    registry: LimiterRegistry,
    storeHash: string,
    private readonly clock: Clock,
    options: QuotaBudgetOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrent ?? 4;
    this.resetSlackMs = options.resetSlackMs ?? 25;
    this.clustered = registry.clustered;
    // One probe request until the first answer tells us the quota.
    this.limiter = registry.limiter({ kind: "bigcommerce", id: storeHash }, { maxConcurrent: this.maxConcurrent, reservoir: 1 });
  }

  lastQuota(): QuotaHeaders | undefined {
    return this.last;
  }

  /** Called by the job right before its request leaves. */
  requestStarting(): void {
    this.sentLocally++;
  }

  /** Called inside the job that got the answer (answers are applied one at a time). */
  async sync(quota: QuotaHeaders): Promise<void> {
    const turn = this.syncing.then(() => this.applyQuota(quota));
    this.syncing = turn.catch(() => undefined);
    await turn;
  }

  private async sent(): Promise<number> {
    // Clustered, other processes' requests are ours too: Bottleneck counts them in Redis.
    if (!this.clustered) return this.sentLocally;
    const [done, running] = await Promise.all([this.limiter.done(), this.limiter.running()]);
    return done + running;
  }

  private async applyQuota(quota: QuotaHeaders): Promise<void> {
    this.last = quota;
    const endsAt = this.clock.now() + quota.timeResetMs;
    // Windows are told apart by their end: a new one ends about a window later than the one we
    // knew, an answer from the previous one about a window earlier (its figures no longer apply).
    // Half a window of tolerance absorbs network and event-loop delays.
    const tolerance = quota.timeWindowMs / 2;
    if (endsAt < this.windowEndsAt - tolerance) return;
    if (endsAt > this.windowEndsAt + tolerance) {
      this.windowEndsAt = endsAt;
      this.windowStartLeft = quota.requestsLeft;
      this.windowLowestLeft = quota.requestsLeft;
      this.othersCounted = 0;
      this.sentBase = await this.sent();
      // Normally only the probe is out; anything else in flight may not be counted yet. Clustered,
      // another process's request may also have been counted after this figure and be done
      // already: up to maxConcurrent - 1 of them, so that many are held back.
      const [running, reservoir] = await Promise.all([this.limiter.running(), this.limiter.currentReservoir()]);
      const uncounted = this.clustered ? this.maxConcurrent - 1 : Math.max(0, running - 1);
      const allowance = Math.max(0, quota.requestsLeft - uncounted);
      const current = reservoir ?? 0;
      if (current <= 0) {
        // Empty: nothing can start meanwhile, and a value (not a difference) cannot add up with
        // another process doing the same.
        await this.limiter.updateSettings({ reservoir: allowance });
      } else if (allowance < current) {
        // Already refilled (clustered: another process saw this window first): only ever lower.
        await this.limiter.incrementReservoir(allowance - current);
      }
    } else {
      this.windowLowestLeft = Math.min(this.windowLowestLeft, quota.requestsLeft);
      // Everything counted since the window opened, minus what we sent: spent by others, at least.
      const others = this.windowStartLeft - this.windowLowestLeft - ((await this.sent()) - this.sentBase);
      if (others > this.othersCounted) {
        await this.limiter.incrementReservoir(this.othersCounted - others);
        this.othersCounted = others;
      }
    }
    this.armReset();
  }

  /** After a 429: nothing more until the window resets. */
  async exhausted(quota: QuotaHeaders | undefined, retryAfterMs: number): Promise<void> {
    if (quota) this.last = quota;
    this.windowEndsAt = Math.max(this.windowEndsAt, this.clock.now() + retryAfterMs);
    await this.limiter.updateSettings({ reservoir: 0 });
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
      // One probe: its answer tells the new window's allowance. A reservoir above zero was
      // already refilled (clustered, by another process that saw the new window first); one
      // below zero only means more was taken off than there was, which is the same as empty.
      void this.limiter.currentReservoir().then((current) => ((current ?? 0) > 0 ? undefined : this.limiter.updateSettings({ reservoir: 1 })));
    }, delay);
    this.resetTimer.unref();
  }
}
