// How far a long operation (a backfill, a full run, a replay of many dead letters) has come, and
// when it should end at the pace so far. Pure: the pages compute it from rows that already exist.

export interface Progress {
  done: number;
  /** null: the total is not known (only `done` can be shown). */
  total: number | null;
  /** 0–100, null without a total. */
  percent: number | null;
  startedAt: string;
  /** Seconds left at the pace so far; null before the first item or without a total. */
  etaSeconds: number | null;
  finished: boolean;
}

export function progressOf(input: { done: number; total: number | null; startedAt: Date; now: Date; finished?: boolean }): Progress {
  const total = input.total === null ? null : Math.max(input.total, input.done);
  const elapsedMs = Math.max(0, input.now.getTime() - input.startedAt.getTime());
  const finished = input.finished ?? (total !== null && input.done >= total);
  const remaining = total === null ? null : total - input.done;
  return {
    done: input.done,
    total,
    percent: total === null ? null : total === 0 ? 100 : Math.floor((input.done / total) * 100),
    startedAt: input.startedAt.toISOString(),
    etaSeconds: finished ? 0 : remaining === null || input.done === 0 ? null : Math.ceil(((elapsedMs / input.done) * remaining) / 1000),
    finished,
  };
}

export function formatEta(seconds: number | null): string {
  if (seconds === null) return "estimating";
  if (seconds < 60) return `about ${seconds} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${Math.round(seconds / 360) / 10} h left`;
}
