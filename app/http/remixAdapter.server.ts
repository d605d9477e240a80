import type { IncomingMessage, ServerResponse } from "node:http";
import { writeReadableStreamToWritable } from "@remix-run/node";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import { LockstepError } from "../config/errors";
import type { AppContext } from "../context.server";
import { createShopifyApp, type ShopifyApp } from "../shopify.server";
import { createLoginThrottle, type LoginThrottle } from "../staff/localLogin.server";
import { adminContentSecurityPolicy, isCrossSiteWrite, sendAdminRefusal } from "./adminGuards.server";
import { clientAddress } from "./clientAddress.server";
import { readBody } from "./respond.server";

/** What only the admin uses, made once per process beside its context. */
export interface AdminServices {
  /** The Shopify app (embedded mode only): OAuth / token exchange, session tokens, App Bridge. */
  shopify?: ShopifyApp;
  /** Failed standalone logins per client address. */
  loginThrottle: LoginThrottle;
}

export function createAdminServices(context: AppContext): AdminServices {
  return { shopify: context.config.shopifyApp ? createShopifyApp(context) : undefined, loginThrottle: createLoginThrottle() };
}

declare module "@remix-run/node" {
  /**
   * What the admin's loaders and actions get besides the request: the process's context (handed
   * over here, never read from a global: the Remix build has its own copy of the app's modules).
   */
  interface AppLoadContext extends AppContext, AdminServices {
    /**
     * The client's address as this server saw it (the socket, or a trusted proxy's X-Forwarded-For):
     * never a header the client chose. Always set by this adapter; absent only when a test calls a loader itself.
     */
    clientAddress?: string;
  }
}

/**
 * Serves the Remix app (the staff admin) from node:http: IncomingMessage in, Fetch Response out.
 * Before Remix: writes from other sites are refused (403) and bodies are capped (413), read whole
 * (admin forms are small) so that Remix never parses an unbounded stream.
 */
export function createRemixListener(build: ServerBuild, mode: "production" | "development", context: AppContext) {
  const { config } = context;
  const handleRequest = createRequestHandler(build, mode);
  const admin = createAdminServices(context);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    res.setHeader("content-security-policy", adminContentSecurityPolicy(config, req, url));
    if (isCrossSiteWrite(req, url.origin)) {
      req.resume();
      return sendAdminRefusal(req, res, 403, "cross_site_write", "Changes are only accepted from Lockstep's own pages");
    }
    let body: Buffer | undefined;
    if (req.method !== "GET" && req.method !== "HEAD") {
      try {
        body = await readBody(req, config.clients.adminBodyLimitBytes);
      } catch (error) {
        if (!(error instanceof LockstepError && error.status === 413)) throw error;
        return sendAdminRefusal(req, res, 413, error.code, `${error.message}: the admin's forms are far smaller`);
      }
    }
    const response = await handleRequest(toFetchRequest(req, res, url, body), { ...context, ...admin, clientAddress: clientAddress(req, config.clients.trustedProxies) });
    // A POST to a page without an action: Remix's own 405 body carries a stack trace in development.
    if (response.status === 405) {
      await response.body?.cancel();
      throw new LockstepError("method_not_allowed", `${req.method} is not allowed here (allowed: GET, HEAD)`, { allow: "GET, HEAD" });
    }
    res.statusCode = response.status;
    res.statusMessage = response.statusText;
    for (const [name, value] of response.headers) {
      // Ours (above) is the one CSP of every admin answer, Shopify's frame-ancestors included.
      if (name !== "set-cookie" && name !== "content-security-policy") res.setHeader(name, value);
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

function requestUrl(req: IncomingMessage): URL {
  const protocol = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  const origin = `${protocol}://${req.headers.host ?? "localhost"}`;
  if (!URL.canParse(origin)) throw new LockstepError("bad_host", "The Host header is not a valid host name");
  return new URL(req.url ?? "/", origin);
}

function toFetchRequest(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer | undefined): Request {
  const controller = new AbortController();
  res.on("close", () => controller.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of [value].flat()) headers.append(name, item);
  }
  return new Request(url, { method: req.method, headers, signal: controller.signal, body: body && Uint8Array.from(body) });
}
