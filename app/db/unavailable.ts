/**
 * Whether an error means the database cannot be reached right now (down, restarting, out of
 * connections, timed out), as opposed to refusing one statement: the caller should retry later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const { code, name, message, kind } = current as { code?: unknown; name?: unknown; message?: unknown; kind?: unknown };
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof kind === "string" && UNAVAILABLE_KINDS.has(kind)) return true;
    if (name === "PrismaClientInitializationError") return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

// Prisma: P1001 not reachable, P1002 timed out, P1008 operation timed out, P1017 connection closed,
// P2024 pool timeout, P2037 too many connections. Node sockets. PostgreSQL class 08 (connection)
// and 57P0x (shutting down), 53300 (too many connections).
const UNAVAILABLE_CODES = new Set([
  "P1001", "P1002", "P1008", "P1017", "P2024", "P2037",
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN",
  "08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03", "53300",
]);
// The driver adapters' error kinds (@prisma/driver-adapter-utils).
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const UNAVAILABLE_MESSAGES = /PGlite is closed|Cannot use a pool after calling end|Connection terminated|timeout exceeded when trying to connect|Can't reach database server/i;
