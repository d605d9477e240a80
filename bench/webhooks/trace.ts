// Where a benchmark server's time goes (BENCH_TRACE=1): every statement's duration by its text,
// event-loop delay and GC pauses, read and reset over HTTP (`GET /__trace`) so that the client can
// take one window (the open loop at 1,000/s) apart from the others.
import { PerformanceObserver, monitorEventLoopDelay } from "node:perf_hooks";
import type { QueryOptions, Sql, SqlRunner } from "../../app/db/database.server";

interface Samples {
  ms: number[];
  rows: number;
}

const statements = new Map<string, Samples>();
const loop = monitorEventLoopDelay({ resolution: 1 });
const gc: number[] = [];
const gcByKind = new Map<number, number[]>();
// PerformanceEntry detail.kind of a GC (node:perf_hooks constants).
const GC_KINDS: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weak callbacks" };
let observer: PerformanceObserver | undefined;

function key(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 60);
}

export function record(name: string, ms: number, rows = 0): void {
  const samples = statements.get(name) ?? { ms: [], rows: 0 };
  samples.ms.push(ms);
  samples.rows += rows;
  statements.set(name, samples);
}

function runner(inner: SqlRunner): SqlRunner {
  return {
    async query<Row>(text: string, params?: unknown[], options?: QueryOptions) {
      const started = performance.now();
      const rows = await inner.query<Row>(text, params, options);
      record(key(text), performance.now() - started, rows.length);
      return rows;
    },
  };
}

/** `sql` with every statement (and every transaction as a whole) timed. */
export function traced(sql: Sql): Sql {
  return {
    ...sql,
    query: runner(sql).query,
    async transaction(work) {
      const started = performance.now();
      try {
        return await sql.transaction((tx) => work(runner(tx)));
      } finally {
        record("(transaction, BEGIN to COMMIT)", performance.now() - started);
      }
    },
  };
}

export function startTracing(): void {
  loop.enable();
  observer = new PerformanceObserver((list) => list.getEntries().forEach((entry) => {
      gc.push(entry.duration);
      const kind = ((entry as unknown as { detail?: { kind?: number } }).detail)?.kind ?? 0;
      gcByKind.set(kind, [...(gcByKind.get(kind) ?? []), entry.duration]);
    }));
  observer.observe({ entryTypes: ["gc"] });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** What was seen since the last reset, as lines of text; then starts over. */
export function takeTrace(): string[] {
  const lines = [...statements]
    .map(([name, samples]) => {
      const sorted = [...samples.ms].sort((a, b) => a - b);
      const total = sorted.reduce((sum, ms) => sum + ms, 0);
      return { total, line: `${String(sorted.length).padStart(6)}x  total ${total.toFixed(0).padStart(6)} ms  p50 ${quantile(sorted, 0.5).toFixed(2)}  p99 ${quantile(sorted, 0.99).toFixed(2)}  max ${(sorted.at(-1) ?? 0).toFixed(1)} ms  rows/stmt ${(samples.rows / sorted.length).toFixed(1)}  ${name}` };
    })
    .sort((a, b) => b.total - a.total)
    .map(({ line }) => line);
  const pauses = [...gc].sort((a, b) => a - b);
  lines.push(
    `event-loop delay: p50 ${(loop.percentile(50) / 1e6).toFixed(2)} ms  p99 ${(loop.percentile(99) / 1e6).toFixed(2)} ms  max ${(loop.max / 1e6).toFixed(1)} ms`,
    `GC: ${pauses.length} pauses, total ${pauses.reduce((sum, ms) => sum + ms, 0).toFixed(0)} ms, p99 ${quantile(pauses, 0.99).toFixed(2)} ms, max ${(pauses.at(-1) ?? 0).toFixed(1)} ms (${[...gcByKind].map(([kind, ms]) => `${GC_KINDS[kind] ?? kind}: ${ms.length}, max ${Math.max(...ms).toFixed(1)} ms`).join("; ")})`,
  );
  gcByKind.clear();
  statements.clear();
  gc.length = 0;
  loop.reset();
  return lines;
}
