// GET / HEAD /feeds/{feedId}/{token}/products.xml|.tsv: the published snapshot, straight from the
// database in chunks (any web process serves any feed). Nothing is built here: a fetch only reads.
// Unknown feed, unknown or revoked token, wrong file: the same bare 404.

import { timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { createGzip } from "node:zlib";
import { loadDestination } from "../../batching/destinations.server";
import type { SqlRunner } from "../../db/database.server";
import type { RouteRequest, Router } from "../../http/router.server";
import { log } from "../../observability/log.server";
import type { LimiterRegistry } from "../../outbound/limiterRegistry.server";
import { type FeedFetchLimit, feedFetchLimit } from "./fetchLimit.server";
import { FEED_FILE_NAMES } from "./adapter.server";
import { type FeedFormat, publishedSnapshot, snapshotChunks } from "./snapshots.server";
import { tokenOpensFeed } from "./tokens.server";
import { recordFeedFetch } from "./sql/recordFeedFetch";

export interface FeedServingDeps {
  sql: SqlRunner;
  encryptionKey: string;
  /** Fetches per second one feed answers (bursts twice that); Merchant Center fetches a few times a day. */
  fetchesPerSecond?: number;
  /** The process's limiter registry: clustered (Redis), the allowance is shared by every web process. */
  registry?: LimiterRegistry;
  now?: () => Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTENT_TYPES: Record<FeedFormat, string> = { xml: "application/xml; charset=utf-8", tsv: "text/tab-separated-values; charset=utf-8" };

function notFound(res: ServerResponse): void {
  res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "content-length": "10", "cache-control": "no-store" });
  res.end("Not found\n");
}

function formatOf(file: string): FeedFormat | undefined {
  if (file === FEED_FILE_NAMES.xml) return "xml";
  if (file === FEED_FILE_NAMES.tsv) return "tsv";
  return undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** HTTP Basic credentials of the request, if it sent any. */
function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** gzip when the client accepts it (and did not refuse it with q=0). */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? "").split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((param) => param.trim()).find((param) => param.startsWith("q="));
    return !q || Number(q.slice(2)) > 0;
  });
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}

export function registerFeedRoutes(router: Router, deps: FeedServingDeps): void {
  const now = deps.now ?? (() => new Date());
  const limited = feedFetchLimit({ ratePerSecond: deps.fetchesPerSecond ?? 1, registry: deps.registry, now: () => now().getTime() });
  router.own("/feeds/");
  router.on(["GET", "HEAD"], "/feeds/:feedId/:token/:file", (request) => serveFeed(deps, limited, now, request));
}

async function serveFeed(deps: FeedServingDeps, limited: FeedFetchLimit, now: () => Date, { req, res, params }: RouteRequest): Promise<void> {
  req.resume();
  const format = formatOf(params.file ?? "");
  const feedId = params.feedId ?? "";
  if (!format || !UUID.test(feedId)) return notFound(res);
  const wait = await limited(feedId);
  if (wait !== undefined) {
    res.writeHead(429, { "retry-after": String(wait), "content-type": "text/plain; charset=utf-8" });
    res.end("Too many requests\n");
    return;
  }
  if (!(await tokenOpensFeed(deps.sql, feedId, params.token ?? "", now()))) return notFound(res);
  const destination = await loadDestination(deps, feedId).catch(() => undefined);
  if (!destination || destination.kind !== "google_feed") return notFound(res);
  const { username, password } = destination.credentials;
  if (username) {
    const given = basicCredentials(req.headers.authorization);
    if (!given || !sameSecret(given.username, username) || !sameSecret(given.password, password ?? "")) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="Lockstep feed", charset="UTF-8"', "content-type": "text/plain; charset=utf-8" });
      res.end("Authentication required\n");
      return;
    }
  }
  const snapshot = await publishedSnapshot(deps.sql, feedId);
  if (!snapshot) {
    res.writeHead(503, { "retry-after": "60", "content-type": "text/plain; charset=utf-8" });
    res.end("The feed's first snapshot is being built\n");
    return;
  }
  await recordFeedFetch(deps.sql, feedId, now());
  const file = snapshot[format];
  const gzip = acceptsGzip(req.headers["accept-encoding"]);
  const etag = `"${file.sha256.slice(0, 32)}${gzip ? "-gz" : ""}"`;
  const lastModified = new Date(Math.floor(snapshot.publishedAt.getTime() / 1000) * 1000);
  const headers: Record<string, string> = {
    etag,
    "last-modified": lastModified.toUTCString(),
    "cache-control": "private, no-cache",
    vary: "Accept-Encoding",
  };
  const ifNoneMatch = req.headers["if-none-match"];
  const ifModifiedSince = req.headers["if-modified-since"];
  const unchanged = ifNoneMatch !== undefined ? etagMatches(ifNoneMatch, etag) : ifModifiedSince !== undefined && !Number.isNaN(Date.parse(ifModifiedSince)) && lastModified.getTime() <= Date.parse(ifModifiedSince);
  if (unchanged) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers["content-type"] = CONTENT_TYPES[format];
  if (gzip) headers["content-encoding"] = "gzip";
  else headers["content-length"] = String(file.bytes);
  res.writeHead(200, headers);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  await streamSnapshot(deps.sql, snapshot.snapshotId, format, res, gzip).catch((error: unknown) => {
    log.warn("feed fetch ended early", { feedId, error });
    res.destroy();
  });
}

async function streamSnapshot(sql: SqlRunner, snapshotId: string, format: FeedFormat, res: ServerResponse, gzip: boolean): Promise<void> {
  const out = gzip ? createGzip() : res;
  if (gzip) (out as ReturnType<typeof createGzip>).pipe(res);
  for await (const chunk of snapshotChunks(sql, snapshotId, format)) {
    if (res.destroyed) return;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  if (gzip) await once(res, "finish");
}
