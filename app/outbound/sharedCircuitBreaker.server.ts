import { randomUUID } from "node:crypto";
import { type Breaker, CircuitBreaker, type CircuitBreakerSettings, type CircuitSnapshot, type CircuitState, countsAsFailure } from "./circuitBreaker";
import { type Clock } from "../config/clock";
import { circuitOpenError } from "./errors";
import { REDIS_NOW_MS, type SharedState } from "./limiterRegistry.server";
import { log } from "../observability/log.server";

export interface SharedCircuitOptions {
  /**
   * How long a probe's claim holds: longer than a call can take. A claimer that dies or never
   * hears back loses it then, and another process probes.
   */
  probeClaimMs: number;
  /** An idle circuit's record expires after this, as the limiter's state does. */
  keepMs?: number;
}

// The decisions of CircuitBreaker, atomic in Redis and on Redis's clock (no skew between
// machines). KEYS: the circuit (a hash; none means closed without failures), the probe claim.
// Every script answers the circuit as it stands: verdict, failures, ms since it opened (-1 while
// closed), the current pause, the last error.

const READ_CIRCUIT = `local c = redis.call('hmget', KEYS[1], 'failures', 'openedAt', 'openMs', 'lastError')
local failures, openedAt, openMs, lastError = tonumber(c[1]) or 0, tonumber(c[2]), tonumber(c[3]) or 0, c[4] or ''`;

const ADMIT = `${REDIS_NOW_MS}
${READ_CIRCUIT}
if not openedAt then return {'closed', failures, -1, openMs, lastError} end
if now < openedAt + openMs then return {'open', failures, now - openedAt, openMs, lastError} end
if ARGV[1] ~= '' and redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then return {'probe', failures, now - openedAt, openMs, lastError} end
return {'held', failures, now - openedAt, openMs, lastError}`;

const RECORD_FAILURE = `${REDIS_NOW_MS}
${READ_CIRCUIT}
local token, threshold, baseOpenMs, maxOpenMs, keepMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
failures = failures + 1
lastError = ARGV[6]
if openMs == 0 then openMs = baseOpenMs end
if token ~= '' and redis.call('get', KEYS[2]) == token then
  openMs = math.min(maxOpenMs, openMs * 2)
  openedAt = now
  redis.call('del', KEYS[2])
elseif not openedAt and failures >= threshold then
  openedAt = now
end
redis.call('hset', KEYS[1], 'failures', failures, 'openMs', openMs, 'lastError', lastError)
if openedAt then redis.call('hset', KEYS[1], 'openedAt', openedAt) end
redis.call('pexpire', KEYS[1], keepMs)
if not openedAt then return {'closed', failures, -1, openMs, lastError} end
return {'open', failures, now - openedAt, openMs, lastError}`;

const RECORD_SUCCESS = `redis.call('del', KEYS[1], KEYS[2])
return {'closed', 0, -1, 0, ''}`;

type Verdict = "closed" | "open" | "probe" | "held";
type CircuitAnswer = [verdict: Verdict, failures: number, sinceOpenedMs: number, openMs: number, lastError: string];

/**
 * The circuit of a destination shared by every process calling it through one Redis: failures
 * are counted together, the circuit opens for all, one probe in the whole cluster is let through
 * when the pause ends (its claim expires), and its answer closes the circuit or doubles the pause
 * for all. Each call costs one round trip (its admission) while the destination answers; a
 * failure, a probe or the first success after failures cost one more.
 *
 * The snapshot is this process's view, refreshed by every decision and by `refresh()`.
 * While Redis cannot be reached, this process decides alone with an in-memory CircuitBreaker
 * (fresh for each outage) and says so once; it goes back to the shared circuit when Redis answers.
 */
export class SharedCircuitBreaker implements Breaker {
  private view: { state: CircuitState; consecutiveFailures: number; openedAt?: number; openMs: number; lastError?: string };
  private readonly keys: string[];
  private readonly keepMs: number;
  private readonly listeners = new Set<(snapshot: CircuitSnapshot) => void>();
  private reported: CircuitState = "closed";
  /** Only while Redis cannot be reached. */
  private local?: CircuitBreaker;

  constructor(
    readonly target: string,
    private readonly settings: CircuitBreakerSettings,
    private readonly clock: Pick<Clock, "now">,
    private readonly shared: SharedState,
    private readonly options: SharedCircuitOptions,
  ) {
    this.keys = [`${shared.key}:circuit`, `${shared.key}:circuit-probe`];
    this.keepMs = Math.max(options.keepMs ?? 15 * 60_000, settings.maxOpenMs * 2);
    this.view = { state: "closed", consecutiveFailures: 0, openMs: settings.openMs };
  }

  snapshot(): CircuitSnapshot {
    if (this.local) return this.local.snapshot();
    const state = this.currentState();
    const { consecutiveFailures, openedAt, openMs, lastError } = this.view;
    return { state, consecutiveFailures, openedAt, retryAt: openedAt === undefined || state === "closed" ? undefined : openedAt + openMs, lastError };
  }

  onChange(listener: (snapshot: CircuitSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async refresh(): Promise<void> {
    await this.ask(ADMIT, "").catch(() => undefined);
  }

  refuseIfOpen(): void {
    if (this.local) return this.local.refuseIfOpen();
    // Only a pause this process knows of: the shared circuit can close only once it is over.
    if (this.currentState() === "open") throw circuitOpenError(this.target, this.msUntilRetry());
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    let verdict: Verdict;
    try {
      verdict = await this.ask(ADMIT, token, this.options.probeClaimMs);
    } catch {
      return this.local!.run(call);
    }
    if (verdict === "open" || verdict === "held") throw circuitOpenError(this.target, verdict === "open" ? this.msUntilRetry() : 0);
    const probe = verdict === "probe" ? token : "";
    // While nothing failed, a success has nothing to reset: the healthy path stays one round trip.
    const hadFailures = this.view.consecutiveFailures > 0;
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (countsAsFailure(error)) await this.record(RECORD_FAILURE, probe, failureArguments(this.settings, this.keepMs, error));
      else if (probe !== "") await this.record(RECORD_SUCCESS, probe, []);
      throw error;
    }
    if (probe !== "" || hadFailures) await this.record(RECORD_SUCCESS, probe, []);
    return result;
  }

  /** Runs one script and adopts its answer; on a Redis error, starts deciding locally (and throws). */
  private async ask(script: string, ...args: Array<string | number>): Promise<Verdict> {
    let answer: CircuitAnswer;
    try {
      answer = (await this.shared.redis.eval(script, this.keys.length, ...this.keys, ...args)) as CircuitAnswer;
    } catch (error) {
      if (!this.local) {
        log.warn("outbound: shared circuit unreachable in Redis, this process decides alone until it is back", { target: this.target, error });
        this.local = new CircuitBreaker(this.target, this.settings, this.clock);
        this.local.onChange((snapshot) => this.emit(snapshot));
        if (this.local.snapshot().state !== this.reported) this.emit(this.local.snapshot());
      }
      throw error;
    }
    if (this.local) {
      log.info("outbound: shared circuit reachable again", { target: this.target });
      this.local = undefined;
    }
    this.adopt(answer);
    return answer[0];
  }

  /** A call's outcome; if Redis cannot take it, it is lost (a probe's claim then expires). */
  private async record(script: string, probe: string, args: Array<string | number>): Promise<void> {
    await this.ask(script, probe, ...args).catch(() => undefined);
  }

  private adopt([verdict, failures, sinceOpenedMs, openMs, lastError]: CircuitAnswer): void {
    const state: CircuitState = verdict === "closed" ? "closed" : verdict === "open" ? "open" : "half_open";
    this.view = {
      state,
      consecutiveFailures: failures,
      openedAt: sinceOpenedMs < 0 ? undefined : this.clock.now() - sinceOpenedMs,
      openMs: openMs || this.settings.openMs,
      lastError: lastError === "" ? this.view.lastError : lastError,
    };
    this.currentState();
  }

  private msUntilRetry(): number {
    return Math.max(0, (this.view.openedAt ?? this.clock.now()) + this.view.openMs - this.clock.now());
  }

  /** The view's state, half-open once its pause is over; listeners hear of every change. */
  private currentState(): CircuitState {
    let { state } = this.view;
    if (state === "open" && this.msUntilRetry() === 0) state = "half_open";
    if (state !== this.reported) {
      this.reported = state;
      this.emit(this.snapshot());
    }
    return state;
  }

  private emit(snapshot: CircuitSnapshot): void {
    this.reported = snapshot.state;
    for (const listener of this.listeners) listener(snapshot);
  }
}

function failureArguments(settings: CircuitBreakerSettings, keepMs: number, error: unknown): Array<string | number> {
  const message = error instanceof Error ? error.message : String(error);
  return [settings.failureThreshold, settings.openMs, settings.maxOpenMs, keepMs, message.slice(0, 500)];
}
