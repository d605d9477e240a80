import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { seedDemoShop } from "../../app/demo/seed.server";
import { requireAdminBuild } from "../helpers/build";
import { useTestServer } from "../helpers/server";

const API_TOKEN = "lst_test_token_0123456789abcdef";

/** A request with the target exactly as given (fetch would normalise it). */
function rawRequest(base: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method: "GET", path: target, headers, setHost: !("host" in headers) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Bytes straight onto the socket, for request lines no HTTP client would send. */
function rawBytes(base: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(bytes));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("the top-level handler", () => {
  const server = useTestServer({
    beforeListen: async ({ db }) => void (await seedDemoShop(db.prisma, { apiToken: API_TOKEN })),
  });

  it.each([
    ["/%E0%A4%A", "invalid percent-encoding"],
    ["/api/v1/reservations/%zz/extend", "invalid percent-encoding"],
    ["//", "empty segment"],
    ["//webhooks/shopify", "empty segment"],
    ["/app//settings", "empty segment"],
    ["/assets/%E0%A4%A.js", "invalid percent-encoding"],
  ])("answers the malformed target %s with a JSON 400 naming the request id, and lives on", async (target, message) => {
    const answer = await rawRequest(server().url, target, { "x-request-id": "fuzz-1" });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: "bad_request_target", message: expect.stringContaining(message), requestId: "fuzz-1" } });
    expect((await fetch(`${server().url}/healthz`)).status).toBe(200);
  });

  it("serves an absolute-form target by its path, whatever host it names", async () => {
    const answer = await rawRequest(server().url, "http://elsewhere.example/healthz");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).status).toBe("ok");
    expect((await rawRequest(server().url, "*")).status).toBe(400);
  });

  it("answers a request Node cannot parse with a JSON 400", async () => {
    const answer = await rawBytes(server().url, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)).error.code).toBe("bad_request");
  });

  it("answers a Host header that is not a host with a 400 from the admin", async () => {
    requireAdminBuild();
    const answer = await rawRequest(server().url, "/login", { host: "a b" });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe("bad_host");
  });

  it("answers BigCommerce's callbacks 404 on a deployment with no BigCommerce app", async () => {
    for (const callback of ["load", "uninstall", "callback"]) {
      const response = await fetch(`${server().url}/auth/bigcommerce/${callback}?signed_payload_jwt=x.y.z`);
      expect(response.status, callback).toBe(404);
      expect((await response.json()).error.code).toBe("not_found");
    }
  });
});

describe("a database that stops answering", () => {
  const server = useTestServer({
    build: false,
    beforeListen: async ({ db }) => void (await seedDemoShop(db.prisma, { apiToken: API_TOKEN })),
  });

  it("turns a cache miss's failed lookup into a 503 with the request id, and the process lives on", async () => {
    const { url, context } = server();
    const headers = { authorization: `Bearer ${API_TOKEN}`, "x-request-id": "db-down-1" };
    expect((await fetch(`${url}/api/v1/availability?sku=PACK-40-GRN`, { headers })).status).toBe(200);
    await context.db.close();
    // A SKU never asked for: a cache miss, so the lookup reaches the (closed) database.
    const response = await fetch(`${url}/api/v1/availability?sku=SHOE-TR-42`, { headers });
    expect(response.status).toBe(503);
    // The storefront edge names its own code (storefront_unavailable); any edge answers a *_unavailable 503 with Retry-After.
    expect(await response.json()).toMatchObject({ error: { code: expect.stringMatching(/_unavailable$/), message: expect.any(String), requestId: "db-down-1" } });
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
