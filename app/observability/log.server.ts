import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";

interface LogScope {
  correlationId: string;
}

const scope = new AsyncLocalStorage<LogScope>();
const output: { write: (line: string) => void } = { write: (line) => process.stdout.write(line + "\n") };

// Secrets never reach a log line, whoever passes them: pino's own redaction, at the top level and one level down.
const SECRET_FIELDS = ["accessToken", "access_token", "refreshToken", "apiToken", "token", "password", "secret", "clientSecret", "authorization", "cookie", "signingSecret"];
const REDACT_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`), "*.headers.authorization", "*.headers.cookie"];

const logger = pino(
  {
    level: "info",
    base: undefined,
    messageKey: "message",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    mixin: () => {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
  },
  // Lines go through `output` so tests can capture them (setLogWriter).
  { write: (line: string) => output.write(line.endsWith("\n") ? line.slice(0, -1) : line) },
);

/** Everything logged inside `work` carries this correlation id (a request, a webhook, a batch run). */
export function withCorrelationId<T>(correlationId: string, work: () => T): T {
  return scope.run({ correlationId }, work);
}

export function currentCorrelationId(): string | undefined {
  return scope.getStore()?.correlationId;
}

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}

/** Tests capture lines here instead of stdout. */
export function setLogWriter(write: (line: string) => void): void {
  output.write = write;
}

function fieldsOf(fields: Record<string, unknown> = {}): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    entry[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return entry;
}

function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (logger.isLevelEnabled(level)) logger[level](fieldsOf(fields), message);
}

/** Structured JSON logs (pino), one line each, with the correlation id of the work they belong to. */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => emit("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => emit("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => emit("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => emit("error", message, fields),
};
