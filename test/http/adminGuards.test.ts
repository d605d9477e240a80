import http from "node:http";
import { describe, expect, it } from "vitest";
import { DEMO_SHOP_DOMAIN } from "../../app/demo/seed.server";
import { BROWSER_HEADERS, useDemoAdmin } from "../helpers/server";

// What every request to the Remix admin passes before Remix: a body cap, no writes from other
// sites (single-fetch `.data` posts included), and one Content-Security-Policy on every answer.
const { server, cookie } = useDemoAdmin();

const tokenHash = async () => (await server().context.db.prisma.shop.findFirstOrThrow({ where: { domain: DEMO_SHOP_DOMAIN } })).apiTokenHash;
const rotateToken = (path: string, headers: Record<string, string>) =>
  fetch(`${server().url}${path}`, {
    method: "POST",
    headers: { ...BROWSER_HEADERS, cookie: cookie(), "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ intent: "api-token" }),
    redirect: "manual",
  });

/** A POST whose body is sent in chunks without a declared length, `size` bytes in all. */
function chunkedPost(path: string, size: number, headers: Record<string, string>): Promise<{ status: number; type?: string; body: string }> {
  const { port } = new URL(server().url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path, method: "POST", headers: { ...BROWSER_HEADERS, "content-type": "application/x-www-form-urlencoded", ...headers } }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, type: response.headers["content-type"], body }));
    });
    // The server may close the connection once it has answered: that is the point.
    request.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
    const chunk = Buffer.alloc(16 * 1024, "a");
    for (let sent = 0; sent < size; sent += chunk.length) request.write(chunk);
    request.end();
  });
}

describe("request bodies to the admin", () => {
  it("answers 413 before parsing a login form larger than the cap: an error page for a browser, JSON for a fetch", async () => {
    const page = await chunkedPost("/login", 2 * 1024 * 1024, { accept: "text/html" });
    expect(page.status).toBe(413);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain("larger than");
    const declared = await fetch(`${server().url}/login.data`, {
      method: "POST",
      headers: { ...BROWSER_HEADERS, "content-type": "application/x-www-form-urlencoded" },
      body: `password=${"x".repeat(512 * 1024)}`,
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { code: "body_too_large" } });
    // The server is still there, and a form of ordinary size still works.
    expect((await rotateToken("/app/settings", { "sec-fetch-site": "same-origin" })).status).toBe(200);
  });
});

describe("writes from other sites", () => {
  it("refuses cross-site posts to pages and to single-fetch .data routes with 403, and changes nothing", async () => {
    const before = await tokenHash();
    for (const path of ["/app/settings", "/app/settings.data"]) {
      const foreign: Record<string, string>[] = [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "https://attacker.example" }, { origin: "null" }];
      for (const headers of foreign) {
        const response = await rotateToken(path, headers);
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
      }
    }
    const data = await rotateToken("/app/settings.data", { "sec-fetch-site": "cross-site" });
    expect(await data.json()).toMatchObject({ error: { code: "cross_site_write" } });
    expect(await tokenHash()).toBe(before);
    const own = await rotateToken("/app/settings.data", { "sec-fetch-site": "same-origin", origin: server().url });
    expect(own.status).toBe(200);
    expect(await tokenHash()).not.toBe(before);
  });
});

describe("Content-Security-Policy", () => {
  it("is on every admin answer of the standalone mode, which nobody may frame", async () => {
    const answers = await Promise.all(
      ["/login", "/app", "/app/settings.data", "/app/no-such-page"].map((path) => fetch(`${server().url}${path}`, { headers: { ...BROWSER_HEADERS, cookie: cookie() }, redirect: "manual" })),
    );
    for (const answer of answers) {
      const csp = answer.headers.get("content-security-policy");
      expect(csp, answer.url).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("base-uri 'self'");
    }
  });
});
