import type { SqlRunner } from "../db/database.server";
import { RESERVE_RACE, type ReserveRequest, type ReserveResult, reserve, reserveBatch } from "./sql/reserve";

export interface ReserveQueueOptions {
  /** Reservation calls running at once; requests arriving meanwhile wait and leave together. */
  maxInFlight?: number;
  /** Requests per batch at most. */
  maxBatch?: number;
}

interface Waiting {
  request: ReserveRequest;
  resolve: (result: ReserveResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { result: ReserveResult } | { error: unknown };

/** SQLSTATEs after which a batch is run again one request at a time (nothing of it was kept). */
const RUN_ALONE_AFTER = new Set([RESERVE_RACE, "23505", "40P01"]);
/** SQLSTATEs after which a lone request runs again (up to RETRIES times). */
const RETRY_ALONE = new Set(["23505", "40P01"]);
const RETRIES = 3;

/**
 * Runs the reservation statement, coalescing requests that arrive together. A lone request runs at
 * once, on its own; while `maxInFlight` calls are running (or have answered within the same
 * event-loop turn), new ones wait and leave together as one
 * `lockstep_reserve_batch` call: one round trip, one transaction, one commit for all of them —
 * what a flash sale needs, where the commit and the round trip cost more than the reservation.
 * Batches hold one shop's requests. A batch that fails on a race it cannot settle itself (a
 * deadlock with a statement outside the lock order; a duplicate key, which the key lock should make
 * impossible) is undone whole, and its requests run again one by one.
 */
export function createReserveQueue(sql: SqlRunner, options: ReserveQueueOptions = {}) {
  const maxInFlight = options.maxInFlight ?? 2;
  const maxBatch = options.maxBatch ?? 64;
  const waiting: Waiting[] = [];
  let inFlight = 0;
  const stats = { calls: 0, batches: 0, batchedRequests: 0, ranAloneAfterBatch: 0, retried: 0, replanned: 0 };

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
      if (!RUN_ALONE_AFTER.has(sqlState(error) as string)) return requests.map(() => ({ error }));
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
    run(request: ReserveRequest): Promise<ReserveResult> {
      return new Promise((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        pump();
      });
    },
    /**
     * Counters: statement calls; batches and the requests they carried; requests run alone after
     * their batch failed; lone calls run again after a deadlock or a duplicate key (the lock order
     * should make both impossible); races replanned with the rows locked first.
     */
    stats: () => ({ ...stats }),
  };
}

export type ReserveQueue = ReturnType<typeof createReserveQueue>;

function sqlState(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? (error as { code: unknown }).code : undefined;
}
