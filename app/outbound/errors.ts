import { LockstepError } from "../config/errors";

/**
 * Outbound failures are LockstepErrors whose details say whether trying again can help
 * (`retryable`) and, when the other side told us, how long to wait (`retryAfterMs`).
 */
export interface OutboundErrorDetails extends Record<string, unknown> {
  retryable: boolean;
  retryAfterMs?: number;
  target?: string;
  httpStatus?: number;
}

export function throttledError(target: string, message: string, retryAfterMs?: number, httpStatus?: number): LockstepError {
  return new LockstepError("outbound_throttled", message, { retryable: true, retryAfterMs, target, httpStatus });
}

export function unavailableError(target: string, message: string, retryAfterMs?: number, httpStatus?: number): LockstepError {
  return new LockstepError("outbound_unavailable", message, { retryable: true, retryAfterMs, target, httpStatus });
}

export function rejectedError(target: string, message: string, httpStatus?: number, extra?: Record<string, unknown>): LockstepError {
  return new LockstepError("outbound_rejected", message, { retryable: false, target, httpStatus, ...extra });
}

export function circuitOpenError(target: string, retryAfterMs: number): LockstepError {
  return new LockstepError("circuit_open", `${target} keeps failing: calls are paused`, {
    retryable: false,
    retryAfterMs,
    target,
  });
}

export function outboundDetails(error: unknown): OutboundErrorDetails | undefined {
  if (!(error instanceof LockstepError) || typeof error.details?.retryable !== "boolean") return undefined;
  return error.details as OutboundErrorDetails;
}

/** Network-level failures (refused, reset, timed out) are worth another try; our own bugs are not. */
export function isTransientNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "AbortError" || error.name === "TimeoutError") return true;
  const cause = (error as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  return (
    error.message === "fetch failed" ||
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"].includes(code ?? "")
  );
}
