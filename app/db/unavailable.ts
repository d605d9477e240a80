/**
 * Whether an error says the database could not be reached or did not answer in time (rather than
 * refusing what it was asked): the request may succeed later, so the caller gets a 503 with
 * Retry-After, and a batch that failed this way is not run again request by request.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string" && UNAVAILABLE_CODES.test(code)) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

// Socket errors; SQLSTATE classes 08 (connection), 53 (out of connections or memory), 57P01-57P03
// (shutting down, not yet accepting) and 57014 (statement timeout), 55P03 (lock timeout); Prisma's
// "cannot reach", "timed out", "connection closed" and "no connection from the pool in time".
const UNAVAILABLE_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-3]|57014|55P03|P1001|P1002|P1008|P1017|P2024)$/;
// node-postgres' own pool and connection errors carry no code.
const UNAVAILABLE_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connect ECONNREFUSED/;
