import { LockstepError } from "../config/errors";

// Failures that say "the database cannot serve this now", not "this request is wrong": the
// caller answers 503 (the platform or storefront retries) instead of 500 or waiting forever.
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"]);
// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P (operator intervention).
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/;
// 57014: cancelled by statement_timeout; 55P03: lock_timeout; 25P03: idle-in-transaction timeout.
const TIMEOUT_SQLSTATES = new Set(["57014", "55P03", "25P03"]);
// What node-postgres and its pool say when they give up on a connection (they set no code).
const CONNECTION_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error/i;

/** The database-unavailable error for `error` (503, `retryable`), or undefined for any other failure. */
export function databaseUnavailable(error: unknown): LockstepError | undefined {
  if (error instanceof LockstepError) return error.code === "database_unavailable" || error.code === "database_timeout" ? error : undefined;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string" && TIMEOUT_SQLSTATES.has(code)) {
    return withCause(new LockstepError("database_timeout", "The database took too long to answer; retry later", 503, { retryable: true }), error);
  }
  if ((typeof code === "string" && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) || (typeof message === "string" && CONNECTION_MESSAGES.test(message))) {
    return withCause(new LockstepError("database_unavailable", "The database is unavailable; retry later", 503, { retryable: true }), error);
  }
  return undefined;
}

/** Rethrows `error` as the database-unavailable error when it is one, unchanged otherwise. */
export function rethrowDatabaseError(error: unknown): never {
  throw databaseUnavailable(error) ?? error;
}

function withCause(error: LockstepError, cause: unknown): LockstepError {
  Object.defineProperty(error, "cause", { value: cause, enumerable: false });
  return error;
}
