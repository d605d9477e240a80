import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LockstepError } from "../../app/config/errors";
import { readBody, sendJson } from "../../app/http/respond.server";
import { Router } from "../../app/http/router.server";
import { answerEveryRequest } from "../../app/http/answerEveryRequest.server";
import { currentCorrelationId } from "../../app/observability/log.server";

let server: http.Server;
let base: string;

beforeAll(async () => {
  const router = new Router()
    .on("GET", "/items/:id", ({ res, params, url }) => sendJson(res, 200, { id: params.id, q: url.searchParams.get("q") }))
    .on("POST", "/echo", async ({ req, res }) => {
      const body = await readBody(req, 16);
      sendJson(res, 200, { length: body.length });
    })
    .on("GET", "/fail", () => {
      throw new LockstepError("insufficient_stock", "Not enough stock", { shortages: [{ sku: "A", requested: 2, available: 1 }] });
    })
    .on("GET", "/crash", () => {
      throw new Error("secret internals");
    });
  server = http.createServer((req, res) => {
    if (!router.handle(req, res)) sendJson(res, 404, { fallthrough: true });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("Router", () => {
  it("serves the target answerEveryRequest parsed, under the request's id", async () => {
    const router = new Router().on("GET", "/where", ({ res, url }) => sendJson(res, 200, { path: url.pathname, q: url.searchParams.get("q"), id: currentCorrelationId() }));
    const edge = http.createServer(answerEveryRequest((req, res, url) => void router.handle(req, res, url)));
    await new Promise<void>((resolve) => edge.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = edge.address() as AddressInfo;
      // An absolute-form target: the router sees its path and query, parsed once.
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port, path: "http://elsewhere.example/where?q=1", headers: { "x-request-id": "req-7" } }, (res) => {
            let text = "";
            res.on("data", (chunk: Buffer) => (text += chunk.toString()));
            res.on("end", () => resolve(text));
          })
          .on("error", reject);
      });
      expect(JSON.parse(body)).toEqual({ path: "/where", q: "1", id: "req-7" });
    } finally {
      await new Promise<void>((resolve) => edge.close(() => resolve()));
    }
  });

  it("matches path parameters and keeps the query", async () => {
    const response = await fetch(`${base}/items/sku%2F1?q=x`);
    expect(await response.json()).toEqual({ id: "sku/1", q: "x" });
  });

  it("echoes the caller's request id, or gives one", async () => {
    expect((await fetch(`${base}/items/1`, { headers: { "x-request-id": "abc-123" } })).headers.get("x-request-id")).toBe("abc-123");
    expect((await fetch(`${base}/items/1`, { headers: { "x-request-id": "bad id with spaces and / slashes" } })).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const given = await Promise.all([1, 2, 3].map(async () => (await fetch(`${base}/items/1`)).headers.get("x-request-id")));
    for (const id of given) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(given).size).toBe(3);
  });

  it("answers HEAD through the GET handler", async () => {
    const response = await fetch(`${base}/items/1`, { method: "HEAD" });
    expect(response.status).toBe(200);
  });

  it("leaves unknown paths to the next handler", async () => {
    expect(await (await fetch(`${base}/nothing/here`)).json()).toEqual({ fallthrough: true });
  });

  it("maps a LockstepError to its status and JSON body with details", async () => {
    const response = await fetch(`${base}/fail`);
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: { code: "insufficient_stock", message: "Not enough stock", shortages: [{ sku: "A", requested: 2, available: 1 }], requestId: response.headers.get("x-request-id") } });
  });

  it("hides unexpected errors behind a 500", async () => {
    const response = await fetch(`${base}/crash`);
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body.error.code).toBe("internal_error");
    expect(JSON.stringify(body)).not.toContain("secret internals");
  });

  it("answers 413 for a body over the limit, declared or streamed", async () => {
    const declared = await fetch(`${base}/echo`, { method: "POST", body: "x".repeat(17) });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error.code).toBe("body_too_large");
    const streamed = await fetch(`${base}/echo`, {
      method: "POST",
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("x".repeat(10)));
          controller.enqueue(new TextEncoder().encode("x".repeat(10)));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await (await fetch(`${base}/echo`, { method: "POST", body: "x".repeat(16) })).json()).length).toBe(16);
  });
});
