import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { withCorrelationId } from "../observability/log.server";
import { parseRequestTarget } from "./requestTarget.server";
import { requestIdOf, sendError } from "./respond.server";

/**
 * The one top-level handler of the HTTP server: every request gets a request id, a target that
 * parses (or a 400), and whatever `serve` throws or rejects with becomes a JSON error answer
 * (400/500/503, see sendError) instead of ending the process.
 */
export function answerEveryRequest(serve: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void): RequestListener {
  return (req, res) => {
    withCorrelationId(requestIdOf(req, res), () => answer(req, res, serve));
  };
}

/** Parses the target and serves the request; an answer served synchronously creates no promise. */
function answer(req: IncomingMessage, res: ServerResponse, serve: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void): void {
  let served: Promise<void> | void;
  try {
    const url = parseRequestTarget(req.url);
    // Everything after this sees one origin-form target (an absolute-form one loses its host).
    req.url = url.pathname + url.search;
    served = serve(req, res, url);
  } catch (error) {
    answerError(req, res, error);
    return;
  }
  if (served) served.catch((error: unknown) => answerError(req, res, error));
}

function answerError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  req.resume();
  sendError(res, error);
}

/**
 * Requests Node cannot parse (bad request line, headers too large) never reach a listener:
 * answer them with the same JSON error shape, then close the connection.
 */
export function answerUnparsableRequest(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] = error.code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large"] : [400, "Bad Request"];
  const body = JSON.stringify({ error: { code: status === 431 ? "headers_too_large" : "bad_request", message: "The request could not be parsed as HTTP" } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
