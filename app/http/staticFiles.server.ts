import { createReadStream, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream";
import { log } from "../observability/log.server";
import { parseRequestTarget } from "./requestTarget.server";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/** Serves the built browser assets; fingerprinted files under /assets/ are cached for a year. */
export function createStaticFiles(root: string) {
  const base = path.resolve(root);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    // A target that does not decode is a 400 (parseRequestTarget), not a crash or a 500.
    const pathname = decodeURIComponent(parseRequestTarget(req.url).pathname);
    const file = path.resolve(base, `.${pathname}`);
    if (!file.startsWith(base + path.sep)) return false;
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) return false;
      size = stat.size;
    } catch {
      return false;
    }
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "content-length": size,
      "cache-control": pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "public, max-age=3600",
    });
    if (req.method === "HEAD") res.end();
    // A file that vanishes or fails mid-read closes this answer; it must not end the process.
    else pipeline(createReadStream(file), res, (error) => error && log.warn("static file not sent", { file, error }));
    return true;
  };
}
