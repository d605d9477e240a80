import http from "node:http";
import fc from "fast-check";
import { beforeAll, expect } from "vitest";
import type { Database } from "../../app/db/database.server";
import { seedDemoShop } from "../../app/demo/seed.server";
import { requireAdminBuild } from "../helpers/build";
import { STANDALONE_ENV, standaloneLogin, useTestServer } from "../helpers/server";

export const API_TOKEN = "lst_test_token_0123456789abcdef";
export const BIGCOMMERCE_CLIENT_ID = "fuzz-bigcommerce-client";
export const BIGCOMMERCE_CLIENT_SECRET = "fuzz-bigcommerce-secret";

/**
 * How hard each property tries: a CI-sized run inside `npm test`, thousands with `npm run fuzz`
 * (LOCKSTEP_FUZZ_RUNS). A failure prints its seed; LOCKSTEP_FUZZ_SEED replays it.
 */
export const FUZZ_PARAMETERS: fc.Parameters<unknown> = {
  numRuns: Number(process.env.LOCKSTEP_FUZZ_RUNS ?? 40),
  ...(process.env.LOCKSTEP_FUZZ_SEED ? { seed: Number(process.env.LOCKSTEP_FUZZ_SEED) } : {}),
  // Every run is a real request: shrinking a failure to its simplest form is worth a few more.
  endOnFailure: false,
};

/** The whole app (admin build, edges, BigCommerce configured) with the demo shop and a staff login. */
export function useFuzzServer() {
  beforeAll(() => requireAdminBuild());
  const server = useTestServer({
    env: { ...STANDALONE_ENV, BIGCOMMERCE_CLIENT_ID, BIGCOMMERCE_CLIENT_SECRET },
    beforeListen: async ({ db }) => void (await seedDemoShop(db.prisma, { apiToken: API_TOKEN })),
  });
  let cookie: string | undefined;
  beforeAll(async () => {
    cookie = await standaloneLogin(server().url);
  });
  return { server, cookie: () => cookie! };
}

export interface FuzzRequest {
  method: string;
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FuzzAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends the request exactly as generated (no URL normalisation), and reads the whole answer. */
export function send(base: string, request: FuzzRequest): Promise<FuzzAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: hostname, port, method: request.method, path: request.target, headers: request.headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    // A server that answers (413) before reading a large body may close while we still write it.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    req.end(request.body);
  });
}

/**
 * What a rejected request must leave as it was: the inbox, stock levels, holds and reservations.
 * An item's first reservation creates its empty hold row (the row later ones lock), even when
 * refused: an empty row holds nothing, so only rows that hold units count.
 */
export async function storedState(db: Database): Promise<Record<string, string>> {
  const [row] = await db.sql.query<Record<string, string>>(
    `SELECT (SELECT count(*)::text FROM webhook_inbox) AS inbox,
            (SELECT coalesce(md5(string_agg(l::text, ',' ORDER BY l::text)), '') FROM inventory_level l) AS stock,
            (SELECT coalesce(md5(string_agg(h::text, ',' ORDER BY h::text)), '') FROM stock_hold h WHERE h.reserved <> 0 OR h.sold <> 0 OR h.pending <> '[]'::jsonb) AS holds,
            (SELECT coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), '') FROM reservation r) AS reservations`,
  );
  return row!;
}

const EDGE_PREFIXES = ["/webhooks/", "/api/", "/proxy/", "/auth/bigcommerce/"];
const EDGE_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const DOCUMENTED_ERRORS = new Set([400, 401, 403, 404, 405, 409, 413, 415, 429, 503]);

/**
 * The answer every request must get while the database is up: a documented status, never a 5xx
 * (503 only as load shedding, with Retry-After), and on the machine edges a JSON error body.
 */
export function expectDocumentedAnswer(request: FuzzRequest, answer: FuzzAnswer): void {
  const context = `${request.method} ${request.target} → ${answer.status} ${answer.body.slice(0, 300)}`;
  const isError = answer.status >= 400;
  expect(answer.status >= 200 && (answer.status < 400 || DOCUMENTED_ERRORS.has(answer.status)), context).toBe(true);
  if (answer.status === 503) expect(answer.headers["retry-after"], context).toBeDefined();
  const pathname = request.target.split("?")[0]!;
  if (isError && request.method !== "HEAD" && (isEdgePath(pathname) || answer.headers["content-type"]?.includes("json"))) {
    expect(answer.headers["content-type"], context).toMatch(/^application\/json/);
    const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code, context).toBe("string");
    expect(typeof body.error?.message, context).toBe("string");
  }
}

// ---- generators ----

/** A path segment as a client might send it: encoded text, dot segments, or broken percent-encoding. */
export const segment = fc.oneof(
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", maxLength: 6 }).map(encodeURIComponent),
  fc.constantFrom("", ".", "..", "%", "%zz", "%E0%A4%A", "%00", "%2F", "%2e%2e", "%C0%AF", "%FF", "A", "TENT-UL-2P", "1"),
);

const query = fc
  .array(fc.tuple(segment, segment), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`));

const knownPath = fc.constantFrom(
  "/webhooks/shopify", "/webhooks/bigcommerce", "/api/v1/availability", "/api/v1/reservations", "/proxy/availability", "/proxy/reservations",
  "/auth/bigcommerce/load", "/auth/bigcommerce/uninstall", "/auth/bigcommerce/callback", "/healthz", "/readyz", "/metrics",
  "/", "/login", "/app", "/app/settings", "/app/dead-letters", "/app/reservations", "/auth/login", "/assets", "/favicon.ico",
);

/** Paths near every edge (a known path, maybe with more segments) and anywhere else. */
export const target = fc
  .tuple(
    fc.oneof(
      knownPath,
      fc.tuple(knownPath, fc.array(segment, { minLength: 1, maxLength: 3 })).map(([path, rest]) => `${path}/${rest.join("/")}`),
      fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
    ),
    query,
  )
  .map(([path, q]) => path + q);

export const method = fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

// Header values Node's client will put on the wire (it refuses control characters itself).
const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 20 })).map((value) => value.replace(/[^\t\x20-\x7e]/g, "?"));

export const headers = fc
  .record(
    {
      "content-type": fc.oneof(
        fc.constantFrom("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "application/json; charset=latin1"),
        headerValue,
      ),
      authorization: fc.oneof(fc.constant(`Bearer ${API_TOKEN}`), headerValue.map((v) => `Bearer ${v}`), headerValue),
      "x-request-id": headerValue,
      "x-forwarded-proto": fc.constantFrom("https", "http", "gopher"),
      "x-shopify-topic": fc.constantFrom("orders/create", "inventory_levels/update", "app/uninstalled", "../../etc", ""),
      "x-shopify-hmac-sha256": headerValue,
      "x-shopify-shop-domain": fc.constantFrom("demo-shop.myshopify.com", "nobody.myshopify.com", ""),
      "webhook-id": headerValue,
      "webhook-timestamp": fc.oneof(fc.integer().map(String), headerValue),
      "webhook-signature": headerValue,
      cookie: headerValue,
      origin: fc.constantFrom("https://evil.example", "null"),
    },
    { requiredKeys: [] },
  )
  .map((record) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Record<string, string>);

/** Bodies of every kind: empty, text, bytes, JSON, forms, and (rarely) large. */
export const body = fc.oneof(
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 200 }).map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }).map((form) => Buffer.from(new URLSearchParams(form).toString())) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 64 * 1024, max: 2 * 1024 * 1024 })
      // Printed by its size in a counterexample, not byte by byte.
      .map((size) => Object.assign(Buffer.alloc(size, "x"), { [fc.toStringMethod]: () => `Buffer.alloc(${size}, "x")` })),
  },
);

export function isEdgePath(pathname: string): boolean {
  return EDGE_PREFIXES.some((prefix) => pathname.startsWith(prefix)) || EDGE_PATHS.has(pathname);
}

export const anyRequest = fc
  .record({ method, target, headers, body })
  .map((request) => ({
    ...request,
    // Node's client sends no body with GET/HEAD: keep them empty.
    body: request.method === "GET" || request.method === "HEAD" ? Buffer.alloc(0) : request.body,
  }));
