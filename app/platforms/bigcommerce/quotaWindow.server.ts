import { type Clock } from "../../config/clock";
import { REDIS_NOW_MS, type SharedState } from "../../outbound/limiterRegistry.server";

/** One answer's figures, as the window bookkeeping needs them. */
export interface AnswerFigures {
  /** 0 for a 429. */
  requestsLeft: number;
  timeResetMs: number;
  timeWindowMs: number;
  /** How long ago the answer arrived (its reset is counted from then). */
  ageMs: number;
  /** Requests started so far: this process's, or the cluster's when clustered. */
  sent: number;
  /** A 429: the window ends no earlier than it says, whatever was believed before. */
  throttled: boolean;
}

export interface AnswerVerdict {
  /**
   * `opened`: the first answer from a new window, and the only one (in the whole cluster) that
   * may set the allowance. `stale`: from a window already over. `current`: from the open window.
   */
  window: "opened" | "current" | "stale";
  /** What others (other apps) were newly found to have spent: to take off the allowance. */
  lowerBy: number;
  /** Until the known window ends (negative once it has). */
  msUntilEnd: number;
}

/**
 * The quota window as every process sharing a store sees it, decided in one place so that only
 * one answer opens a window (sets the allowance) and only one process probes a new one.
 */
export interface QuotaWindow {
  applyAnswer(figures: AnswerFigures): Promise<AnswerVerdict>;
  /**
   * Claims the probe of the next window once the known one is over. `claimed`: this caller won it
   * (its reservoir may be set to one request). `open`: the window is not over, for `msLeft`.
   * `held`: another caller holds the claim for `msLeft` more (it expires, so a claimer that dies
   * or never hears back does not stall the others). `takeOver` re-claims a claim whose probe got
   * no answer.
   */
  claimProbe(options: { slackMs: number; claimMs: number; takeOver: boolean }): Promise<ProbeClaim>;
}

export type ProbeClaim = { state: "claimed" } | { state: "open" | "held"; msLeft: number };

/** Windows are told apart by their end; half a window of tolerance absorbs delays. */
interface WindowRecord {
  endsAt: number;
  startLeft: number;
  lowestLeft: number;
  sentBase: number;
  othersCounted: number;
}

/** In one process: the same decisions, kept in memory. */
export function localQuotaWindow(clock: Clock): QuotaWindow {
  let known: WindowRecord = { endsAt: 0, startLeft: 0, lowestLeft: 0, sentBase: 0, othersCounted: 0 };
  let claimUntil = 0;
  return {
    async applyAnswer(figures) {
      const now = clock.now();
      const endsAt = now - figures.ageMs + figures.timeResetMs;
      const tolerance = figures.timeWindowMs / 2;
      if (endsAt < known.endsAt - tolerance) return { window: "stale", lowerBy: 0, msUntilEnd: known.endsAt - now };
      if (endsAt > known.endsAt + tolerance) {
        known = { endsAt, startLeft: figures.requestsLeft, lowestLeft: figures.requestsLeft, sentBase: figures.sent, othersCounted: 0 };
        claimUntil = 0;
        return { window: "opened", lowerBy: 0, msUntilEnd: endsAt - now };
      }
      if (figures.throttled) known.endsAt = Math.max(known.endsAt, endsAt);
      if (now >= known.endsAt) return { window: "current", lowerBy: 0, msUntilEnd: known.endsAt - now };
      known.lowestLeft = Math.min(known.lowestLeft, figures.requestsLeft);
      // Everything counted since the window opened, minus what we sent: spent by others, at least.
      const others = known.startLeft - known.lowestLeft - (figures.sent - known.sentBase);
      const lowerBy = Math.max(0, others - known.othersCounted);
      known.othersCounted += lowerBy;
      return { window: "current", lowerBy, msUntilEnd: known.endsAt - now };
    },
    async claimProbe({ slackMs, claimMs, takeOver }) {
      const now = clock.now();
      const wait = known.endsAt + slackMs - now;
      if (wait > 0) return { state: "open", msLeft: wait };
      if (!takeOver && claimUntil > now) return { state: "held", msLeft: claimUntil - now };
      claimUntil = now + claimMs;
      return { state: "claimed" };
    },
  };
}

// The same decisions as localQuotaWindow, atomic in Redis and on Redis's clock (no skew between
// machines). KEYS: the window record (a hash), the probe claim.

const APPLY_ANSWER = `${REDIS_NOW_MS}
local left, resetMs, windowMs, ageMs, sent, throttled, keepMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1', tonumber(ARGV[7])
local endsAt = now - ageMs + resetMs
local tolerance = windowMs / 2
local w = redis.call('hmget', KEYS[1], 'endsAt', 'startLeft', 'lowestLeft', 'sentBase', 'othersCounted')
local known = tonumber(w[1]) or 0
if endsAt < known - tolerance then return {'stale', 0, known - now} end
if endsAt > known + tolerance then
  redis.call('hset', KEYS[1], 'endsAt', endsAt, 'startLeft', left, 'lowestLeft', left, 'sentBase', sent, 'othersCounted', 0)
  redis.call('pexpire', KEYS[1], keepMs)
  redis.call('del', KEYS[2])
  return {'opened', 0, endsAt - now}
end
if throttled and endsAt > known then
  known = endsAt
  redis.call('hset', KEYS[1], 'endsAt', known)
end
if now >= known then return {'current', 0, known - now} end
local lowest = math.min(tonumber(w[3]), left)
local others = tonumber(w[2]) - lowest - (sent - tonumber(w[4]))
local lowerBy = math.max(0, others - tonumber(w[5]))
redis.call('hset', KEYS[1], 'lowestLeft', lowest, 'othersCounted', tonumber(w[5]) + lowerBy)
return {'current', lowerBy, known - now}`;

const CLAIM_PROBE = `${REDIS_NOW_MS}
local slackMs, claimMs, takeOver = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local known = tonumber(redis.call('hget', KEYS[1], 'endsAt')) or 0
local wait = known + slackMs - now
if wait > 0 then return {'open', wait} end
if takeOver then
  redis.call('set', KEYS[2], now, 'PX', claimMs)
  return {'claimed', 0}
end
if redis.call('set', KEYS[2], now, 'PX', claimMs, 'NX') then return {'claimed', 0} end
return {'held', math.max(1, redis.call('pttl', KEYS[2]))}`;

/** Shared by every process on the store through Redis; idle records expire like the limiter's. */
export function redisQuotaWindow(shared: SharedState, keepMs = 15 * 60_000): QuotaWindow {
  const keys = [`${shared.key}:quota-window`, `${shared.key}:probe-claim`];
  return {
    async applyAnswer(figures) {
      const [window, lowerBy, msUntilEnd] = (await shared.redis.eval(
        APPLY_ANSWER,
        keys.length,
        ...keys,
        figures.requestsLeft,
        figures.timeResetMs,
        figures.timeWindowMs,
        Math.max(0, Math.round(figures.ageMs)),
        figures.sent,
        figures.throttled ? 1 : 0,
        keepMs,
      )) as [AnswerVerdict["window"], number, number];
      return { window, lowerBy, msUntilEnd };
    },
    async claimProbe({ slackMs, claimMs, takeOver }) {
      const [state, msLeft] = (await shared.redis.eval(CLAIM_PROBE, keys.length, ...keys, slackMs, claimMs, takeOver ? 1 : 0)) as ["claimed" | "open" | "held", number];
      return state === "claimed" ? { state } : { state, msLeft };
    },
  };
}
