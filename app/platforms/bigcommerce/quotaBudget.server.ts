import type Bottleneck from "bottleneck";
import { type Clock } from "../../config/clock";
import { type LimiterRegistry } from "../../outbound/limiterRegistry.server";
import { type QuotaWindow, localQuotaWindow, redisQuotaWindow } from "./quotaWindow.server";
import { log } from "../../observability/log.server";

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

/** While another process's probe is out, how often to look whether its answer opened the window. */
const PROBE_RECHECK_MS = 100;

export interface QuotaBudgetOptions {
  /** Requests of one store in flight at once. */
  maxConcurrent?: number;
  /** Waits this much past the announced reset, for the clock difference between us and BigCommerce. */
  resetSlackMs?: number;
  /**
   * How long a process's claim to probe a new window holds: if its probe gets no answer (the
   * process died, the request hangs), another process probes after this long.
   */
  probeClaimMs?: number;
}

/**
 * Keeps one store inside its request quota. The quota is shared with every other app on the
 * store, so it is read from the answers, never assumed. When a window opens, one process claims
 * the probe (one request), and the first answer from the new window sets the reservoir to its
 * `requestsLeft`; from then on the reservoir counts our own requests down exactly (Bottleneck
 * takes one per request), and the answers are only used to notice what others spent: whatever
 * `requestsLeft` fell by beyond the requests we sent is taken off the reservoir too.
 *
 * Which answer opens a window, and who probes, is decided in one place (`QuotaWindow`: in Redis
 * when clustered, atomically), so with several processes on one store there is still exactly
 * one probe and one setting of the allowance per window; no figure from an older answer can
 * overwrite what the others have spent since.
 */
export class BigCommerceQuotaBudget {
  readonly limiter: Bottleneck;
  private readonly window: QuotaWindow;
  /** Our requests started (this process). */
  private sentLocally = 0;
  /** Requests of this process waiting for, or spending, the quota. */
  private pending = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly resetSlackMs: number;
  private readonly probeClaimMs: number;
  private readonly clustered: boolean;
  private last?: QuotaHeaders;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    registry: LimiterRegistry,
    storeHash: string,
    private readonly clock: Clock,
    options: QuotaBudgetOptions = {},
  ) {
    this.resetSlackMs = options.resetSlackMs ?? 25;
    this.probeClaimMs = options.probeClaimMs ?? 10_000;
    this.clustered = registry.clustered;
    const key = { kind: "bigcommerce" as const, id: storeHash };
    // Nothing goes out until a claimed probe (or, clustered, an open window) allows it.
    this.limiter = registry.limiter(key, { maxConcurrent: options.maxConcurrent ?? 4, reservoir: 0 });
    const shared = registry.sharedState(key);
    this.window = shared ? redisQuotaWindow(shared) : localQuotaWindow(clock);
  }

  lastQuota(): QuotaHeaders | undefined {
    return this.last;
  }

  /** Wraps one request from its queuing to its end: while any waits, this process watches the window. */
  async whileWaiting<T>(request: () => Promise<T>): Promise<T> {
    if (this.pending++ === 0 && this.timer === undefined) this.watchIn(0);
    try {
      return await request();
    } finally {
      this.pending--;
    }
  }

  /** Called by the job right before its request leaves. */
  requestStarting(): void {
    this.sentLocally++;
  }

  /** Called inside the job that got the answer, `arrivedAt` when it arrived (answers are applied one at a time). */
  async sync(quota: QuotaHeaders, arrivedAt: number): Promise<void> {
    await this.inTurn(() => this.applyAnswer(quota, arrivedAt, false));
  }

  /** After a 429: nothing more until the window resets. */
  async exhausted(quota: QuotaHeaders | undefined, retryAfterMs: number, arrivedAt: number): Promise<void> {
    if (quota) this.last = quota;
    const figures = quota ?? { requestsQuota: 0, requestsLeft: 0, timeResetMs: retryAfterMs, timeWindowMs: this.last?.timeWindowMs ?? retryAfterMs };
    await this.inTurn(() => this.applyAnswer({ ...figures, timeResetMs: Math.max(figures.timeResetMs, retryAfterMs) }, arrivedAt, true));
  }

  /**
   * A request got no answer (timeout, dropped connection), so no headers either. If no window is
   * open it may have been the probe: probe again rather than wait for its claim to expire. In an
   * open window its slot is simply not given back.
   */
  async noAnswer(): Promise<void> {
    await this.watch(true);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private inTurn(apply: () => Promise<void>): Promise<void> {
    const turn = this.syncing.then(apply);
    this.syncing = turn.catch(() => undefined);
    return turn;
  }

  /** Requests started so far and running now: clustered, the whole cluster's (Bottleneck counts them in Redis). */
  private async counts(): Promise<{ sent: number; running: number }> {
    if (!this.clustered) return { sent: this.sentLocally, running: await this.limiter.running() };
    const [done, running] = await Promise.all([this.limiter.done(), this.limiter.running()]);
    return { sent: done + running, running };
  }

  private async applyAnswer(quota: QuotaHeaders, arrivedAt: number, throttled: boolean): Promise<void> {
    if (!throttled) this.last = quota;
    const { sent, running } = await this.counts();
    const verdict = await this.window.applyAnswer({
      requestsLeft: throttled ? 0 : quota.requestsLeft,
      timeResetMs: quota.timeResetMs,
      timeWindowMs: quota.timeWindowMs,
      ageMs: this.clock.now() - arrivedAt,
      sent,
      throttled,
    });
    if (throttled && verdict.window !== "stale") {
      await this.limiter.updateSettings({ reservoir: 0 });
    } else if (verdict.window === "opened") {
      // Only the probe (this request) should be out; anything else running may be counted after
      // this figure. This answer is the only one allowed to set the allowance of its window.
      await this.limiter.updateSettings({ reservoir: Math.max(0, quota.requestsLeft - Math.max(0, running - 1)) });
    } else if (verdict.lowerBy > 0) {
      await this.limiter.incrementReservoir(-verdict.lowerBy);
    }
    this.watchIn(verdict.msUntilEnd + this.resetSlackMs);
  }

  /** Looks at the window after `delayMs` (replacing an earlier look). */
  private watchIn(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.watch(false);
    }, Math.max(0, delayMs));
    this.timer.unref();
  }

  /**
   * Once the window is over, claims the next one's probe and lets one request out (leftovers of
   * the old window go); otherwise comes back when the window ends or the other claim expires.
   * A process with nothing waiting stops watching until a request comes.
   */
  private async watch(takeOver: boolean): Promise<void> {
    let waitMs: number;
    try {
      const claim = await this.window.claimProbe({ slackMs: this.resetSlackMs, claimMs: this.probeClaimMs, takeOver });
      if (claim.state === "claimed") {
        await this.limiter.updateSettings({ reservoir: 1 });
        waitMs = this.probeClaimMs;
      } else {
        // Another process's probe is out: its answer opens the window within a round trip, and
        // this process must then learn when that window ends (it may get none of its answers).
        waitMs = claim.state === "held" ? Math.min(claim.msLeft, PROBE_RECHECK_MS) : claim.msLeft;
      }
    } catch (error) {
      log.warn("outbound: BigCommerce quota window check failed", { error });
      waitMs = this.probeClaimMs;
    }
    if (this.pending > 0 && this.timer === undefined) this.watchIn(waitMs);
  }
}
