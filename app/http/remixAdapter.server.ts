import type { IncomingMessage, ServerResponse } from "node:http";
import { createReadableStreamFromReadable, writeReadableStreamToWritable } from "@remix-run/node";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import { LockstepError } from "../config/errors";

/** Serves the Remix app (the staff admin) from node:http: IncomingMessage in, Fetch Response out. */
export function createRemixListener(build: ServerBuild, mode: "production" | "development") {
  const handleRequest = createRequestHandler(build, mode);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const response = await handleRequest(toFetchRequest(req, res));
    // A POST to a page without an action: Remix's own 405 body carries a stack trace in development.
    if (response.status === 405) {
      await response.body?.cancel();
      throw new LockstepError("method_not_allowed", `${req.method} is not allowed here (allowed: GET, HEAD)`, 405, { allow: "GET, HEAD" });
    }
    res.statusCode = response.status;
    res.statusMessage = response.statusText;
    for (const [name, value] of response.headers) {
      if (name !== "set-cookie") res.setHeader(name, value);
    }
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) res.setHeader("set-cookie", cookies);
    if (response.body && req.method !== "HEAD") {
      await writeReadableStreamToWritable(response.body, res);
    } else {
      res.end();
    }
  };
}

function toFetchRequest(req: IncomingMessage, res: ServerResponse): Request {
  const protocol = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  const origin = `${protocol}://${req.headers.host ?? "localhost"}`;
  if (!URL.canParse(origin)) throw new LockstepError("bad_host", "The Host header is not a valid host name", 400);
  const url = new URL(req.url ?? "/", origin);
  const controller = new AbortController();
  res.on("close", () => controller.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of [value].flat()) headers.append(name, item);
  }
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, signal: controller.signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    init.body = createReadableStreamFromReadable(req);
    init.duplex = "half";
  }
  return new Request(url, init);
}
