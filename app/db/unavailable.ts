import { LockstepError } from "../config/errors";

// Failures that say "the database cannot serve this now", not "this request is wrong": the
// caller answers 503 (the platform or storefront retries) instead of 500 or waiting forever, and
// a batch that failed this way is not run again request by request.

// Node sockets; node-postgres and Prisma's connection codes (P1001 not reachable, P1002/P1008
// timed out, P1017 connection closed, P2024 pool timeout, P2037 too many connections).
const CONNECTION_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EPIPE", "EAI_AGAIN",
  "P1001", "P1002", "P1008", "P1017", "P2024", "P2037",
]);
// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P0x (shutting down).
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-3])$/;
// 57014: cancelled by statement_timeout; 55P03: lock_timeout; 25P03: idle-in-transaction timeout.
const TIMEOUT_SQLSTATES = new Set(["57014", "55P03", "25P03"]);
// The driver adapters' error kinds (@prisma/driver-adapter-utils).
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
// What node-postgres, its pool, PGlite and Prisma say when they give up (they set no code).
const CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|Query read timeout|PGlite is closed|Cannot use a pool after calling end|Can't reach database server/i;

/** The database-unavailable error for `error` (503, `retryable`), or undefined for any other failure. */
export function databaseUnavailable(error: unknown): LockstepError | undefined {
  if (error instanceof LockstepError) return error.code === "database_unavailable" || error.code === "database_timeout" ? error : undefined;
  // Prisma and the driver adapters wrap the driver's error: look a few causes deep.
  for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 5; depth++) {
    const { code, name, message, kind } = current as { code?: unknown; name?: unknown; message?: unknown; kind?: unknown };
    if (typeof code === "string" && TIMEOUT_SQLSTATES.has(code)) {
      return withCause(new LockstepError("database_timeout", "The database took too long to answer; retry later", { retryable: true }), error);
    }
    if (
      (typeof code === "string" && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) ||
      (typeof kind === "string" && UNAVAILABLE_KINDS.has(kind)) ||
      name === "PrismaClientInitializationError" ||
      (typeof message === "string" && CONNECTION_MESSAGES.test(message))
    ) {
      return withCause(new LockstepError("database_unavailable", "The database is unavailable; retry later", { retryable: true }), error);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether `error` means the database cannot be reached or did not answer in time: retry later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseUnavailable(error) !== undefined;
}

/** Rethrows `error` as the database-unavailable error when it is one, unchanged otherwise. */
export function rethrowDatabaseError(error: unknown): never {
  throw databaseUnavailable(error) ?? error;
}

function withCause(error: LockstepError, cause: unknown): LockstepError {
  Object.defineProperty(error, "cause", { value: cause, enumerable: false });
  return error;
}
