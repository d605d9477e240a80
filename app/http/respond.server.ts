import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorBody, LockstepError } from "../config/errors";
import { databaseUnavailable } from "../db/unavailable";
import { log } from "../observability/log.server";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: Record<string, unknown> };
}

/**
 * The one place an error becomes an HTTP answer: a LockstepError gets its code's status, a
 * database that cannot be reached is a 503, anything else is a 500. The body names the request
 * id for support when there is one.
 */
export function errorAnswer(error: unknown, requestId?: string): ErrorAnswer {
  const withId = (body: { error: Record<string, unknown> }) => (requestId !== undefined ? { error: { ...body.error, requestId } } : body);
  // A database that cannot answer (also when Prisma passes the driver's error through) is a 503, never a 500.
  const unavailable = databaseUnavailable(error);
  if (unavailable && unavailable !== error) log.warn("database unavailable", { error });
  error = unavailable ?? error;
  if (error instanceof LockstepError) {
    const headers: Record<string, string> = {};
    if (error.status === 405 && error.details?.allow) headers.allow = String(error.details.allow);
    if (typeof error.details?.retryAfterSeconds === "number") headers["retry-after"] = String(error.details.retryAfterSeconds);
    else if (error.status === 503) headers["retry-after"] = "5";
    return { status: error.status, headers, body: withId(errorBody(error)) };
  }
  log.error("unhandled error", { error });
  return { status: 500, headers: {}, body: withId({ error: { code: "internal_error", message: "Something went wrong on our side" } }) };
}

/** `errorAnswer` written to a node:http response (the edges). */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = res.getHeader("x-request-id");
  const answer = errorAnswer(error, typeof requestId === "string" ? requestId : undefined);
  sendJson(res, answer.status, answer.body, answer.headers);
}

/** `errorAnswer` as a Fetch Response (Remix loaders and actions). */
export function errorResponse(error: unknown): Response {
  const answer = errorAnswer(error);
  return Response.json(answer.body, { status: answer.status, headers: answer.headers });
}

/** The caller's request id when it looks like one (else a new one), echoed back; set once per request. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const existing = res.getHeader("x-request-id");
  if (typeof existing === "string") return existing;
  const header = req.headers["x-request-id"];
  const sent = Array.isArray(header) ? header[0] : header;
  const requestId = sent && /^[\w.:-]{1,128}$/.test(sent) ? sent : newRequestId();
  res.setHeader("x-request-id", requestId);
  return requestId;
}

// A request id only has to be unique, not unguessable (it is echoed to the caller and names log
// lines): a random UUID made once per process, whose last 12 hex digits count the requests from a
// random start. Same shape as a UUID, a fraction of randomUUID's cost per request.
const REQUEST_ID_PREFIX = randomUUID().slice(0, 24);
const REQUEST_ID_SPACE = 2 ** 48;
let requestCounter = Number.parseInt(randomUUID().slice(24), 16);

function newRequestId(): string {
  requestCounter = (requestCounter + 1) % REQUEST_ID_SPACE;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).padStart(12, "0");
}

/**
 * The raw request body (signatures are computed over the exact bytes). Stops reading and
 * answers 413 as soon as it grows past `limitBytes`, so a huge body costs no memory.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(tooLarge(limitBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function tooLarge(limitBytes: number): LockstepError {
  return new LockstepError("body_too_large", `The request body is larger than ${limitBytes} bytes`);
}

/** Parses a JSON body into a plain object, or a 400 that says what is wrong. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new LockstepError("invalid_json", "The request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new LockstepError("invalid_json", "The request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
