import { LockstepError } from "../config/errors";
import type { SqlRunner } from "../db/database.server";
import { isDatabaseUnavailable } from "../db/unavailable";
import { RESERVE_RACE, type ReserveRequest, type ReserveResult, reserve, reserveBatch } from "./sql/reserve";

export interface ReserveQueueOptions {
  /** Reservation calls running at once; requests arriving meanwhile wait and leave together. */
  maxInFlight?: number;
  /** Requests per batch at most. */
  maxBatch?: number;
  /** Requests waiting at most; one more is refused with a 503 (Retry-After) instead of queueing without end. */
  maxWaiting?: number;
}

/** The default bound of the waiting line: a few seconds of a flash sale at full speed, never a process's whole memory. */
export const DEFAULT_MAX_WAITING = 1024;
/** What a refused caller is told to wait before trying again. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

interface Waiting {
  request: ReserveRequest;
  resolve: (result: ReserveResult) => void;
  reject: (error: unknown) => void;
  /** Stops listening to the caller's signal (a request taken into a call runs to its end). */
  forgetSignal?: () => void;
}

type Outcome = { result: ReserveResult } | { error: unknown };

/** SQLSTATEs after which a lone request runs again (up to RETRIES times). */
const RETRY_ALONE = new Set(["23505", "40P01"]);
const RETRIES = 3;

/**
 * Runs the reservation statement, coalescing requests that arrive together. A lone request runs at
 * once, on its own; while `maxInFlight` calls are running (or have answered within the same
 * event-loop turn), new ones wait and leave together as one
 * `lockstep_reserve_batch` call: one round trip, one transaction, one commit for all of them —
 * what a flash sale needs, where the commit and the round trip cost more than the reservation.
 * Batches hold one shop's requests. A batch that fails is undone whole, and unless the database is
 * unreachable its requests run again one by one: after a race it cannot settle itself (a deadlock
 * with a statement outside the lock order; a duplicate key, which the key lock should make
 * impossible), and after a refusal of one request's data, which then fails alone.
 * The waiting line is bounded (`maxWaiting`: beyond it a 503 with Retry-After), and a caller that
 * gives up (its `signal` aborts: the shopper's connection closed) takes its request out of the line.
 */
export function createReserveQueue(sql: SqlRunner, options: ReserveQueueOptions = {}) {
  const maxInFlight = options.maxInFlight ?? 2;
  const maxBatch = options.maxBatch ?? 64;
  const maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
  const waiting: Waiting[] = [];
  let inFlight = 0;
  const stats = { calls: 0, batches: 0, batchedRequests: 0, ranAloneAfterBatch: 0, retried: 0, replanned: 0, refusedBusy: 0, abandoned: 0 };

  /** One request on its own; a race it loses is run again with the hold rows locked first. */
  const runAlone = async (request: ReserveRequest): Promise<ReserveResult> => {
    let lockFirst = false;
    for (let attempt = 1; ; attempt++) {
      stats.calls++;
      try {
        return await reserve(sql, { ...request, lockFirst });
      } catch (error) {
        // Undone whole by the database (a deadlock with a statement outside the lock order, or the
        // same new key inserted elsewhere at the same moment): again, from what is there now.
        if (RETRY_ALONE.has(sqlState(error) as string) && attempt <= RETRIES) {
          stats.retried++;
          continue;
        }
        // Stock moved between the plan and the update (the last units went to someone else): undone
        // whole; again with the hold rows locked before planning, which cannot miss.
        if (sqlState(error) === RESERVE_RACE && !lockFirst) {
          stats.replanned++;
          lockFirst = true;
          continue;
        }
        throw error;
      }
    }
  };

  const settleAlone = (request: ReserveRequest): Promise<Outcome> =>
    runAlone(request).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );

  const runBatch = async (requests: ReserveRequest[]): Promise<Outcome[]> => {
    stats.calls++;
    stats.batches++;
    stats.batchedRequests += requests.length;
    try {
      return (await reserveBatch(sql, requests)).map((result) => ({ result }));
    } catch (error) {
      // Running them again one by one would only add load to a database that does not answer.
      if (isDatabaseUnavailable(error)) return requests.map(() => ({ error }));
      stats.ranAloneAfterBatch += requests.length;
      return Promise.all(requests.map(settleAlone));
    }
  };

  /** The first waiting request's shop: up to maxBatch of its requests, in arrival order. */
  const takeBatch = (): Waiting[] => {
    const shopId = waiting[0]!.request.shopId;
    const batch: Waiting[] = [];
    for (let i = 0; i < waiting.length && batch.length < maxBatch; ) {
      if (waiting[i]!.request.shopId === shopId) batch.push(...waiting.splice(i, 1));
      else i++;
    }
    for (const w of batch) w.forgetSignal?.();
    return batch;
  };

  const pump = () => {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = takeBatch();
      const requests = batch.map((w) => w.request);
      inFlight++;
      void (requests.length === 1 ? settleAlone(requests[0]!).then((outcome) => [outcome]) : runBatch(requests)).then((outcomes) => {
        outcomes.forEach((outcome, i) => ("error" in outcome ? batch[i]!.reject(outcome.error) : batch[i]!.resolve(outcome.result)));
        // The slot is given back one turn later: the callers' next requests, sent as soon as they
        // hear back, queue meanwhile and leave together instead of one of them alone first.
        setImmediate(() => {
          inFlight--;
          pump();
        });
      });
    }
  };

  return {
    /** Resolves with the request's answer; `signal` aborting while it still waits drops it (rejected, never run). */
    run(request: ReserveRequest, signal?: AbortSignal): Promise<ReserveResult> {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(abandonedError());
        if (waiting.length >= maxWaiting) {
          stats.refusedBusy++;
          return reject(
            new LockstepError("reservations_busy", "Too many reservations are waiting: try again in a moment", { retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS }),
          );
        }
        const entry: Waiting = { request, resolve, reject };
        if (signal) {
          const onAbort = () => {
            const at = waiting.indexOf(entry);
            if (at < 0) return;
            waiting.splice(at, 1);
            stats.abandoned++;
            reject(abandonedError());
          };
          signal.addEventListener("abort", onAbort, { once: true });
          // Once taken into a call the request runs to its end (undoing it would cost more than finishing).
          entry.forgetSignal = () => signal.removeEventListener("abort", onAbort);
        }
        waiting.push(entry);
        pump();
      });
    },
    /**
     * Counters: statement calls; batches and the requests they carried; requests run alone after
     * their batch failed; lone calls run again after a deadlock or a duplicate key (the lock order
     * should make both impossible); races replanned with the rows locked first; requests refused
     * because the line was full; requests dropped because their caller went away.
     */
    stats: () => ({ ...stats }),
  };
}

export type ReserveQueue = ReturnType<typeof createReserveQueue>;

function abandonedError(): LockstepError {
  return new LockstepError("request_abandoned", "The caller went away before the reservation ran: nothing was held");
}

function sqlState(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? (error as { code: unknown }).code : undefined;
}
