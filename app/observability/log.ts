import { AsyncLocalStorage } from "node:async_hooks";

export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

interface LogScope {
  correlationId: string;
}

const scope = new AsyncLocalStorage<LogScope>();
const settings: { level: LogLevel; write: (line: string) => void } = { level: "info", write: (line) => process.stdout.write(line + "\n") };

/** Everything logged inside `work` carries this correlation id (a request, a webhook, a batch run). */
export function withCorrelationId<T>(correlationId: string, work: () => T): T {
  return scope.run({ correlationId }, work);
}

export function currentCorrelationId(): string | undefined {
  return scope.getStore()?.correlationId;
}

export function setLogLevel(level: LogLevel): void {
  settings.level = level;
}

/** Tests capture lines here instead of stdout. */
export function setLogWriter(write: (line: string) => void): void {
  settings.write = write;
}

function emit(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < ORDER[settings.level]) return;
  const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message };
  const correlationId = currentCorrelationId();
  if (correlationId) entry.correlationId = correlationId;
  for (const [key, value] of Object.entries(fields)) {
    entry[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  settings.write(JSON.stringify(entry));
}

/** Structured JSON logs, one line each, with the correlation id of the work they belong to. */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => emit("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => emit("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => emit("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => emit("error", message, fields),
};
