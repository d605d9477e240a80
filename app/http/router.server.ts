import type { IncomingMessage, ServerResponse } from "node:http";
import { LockstepError } from "../config/errors";
import { currentCorrelationId, withCorrelationId } from "../observability/log.server";
import { parseRequestTarget } from "./requestTarget.server";
import { requestIdOf, sendError } from "./respond.server";

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type RouteHandler = (request: RouteRequest) => Promise<void> | void;

interface Route {
  pattern: RegExp;
  keys: string[];
  methods: Map<string, RouteHandler>;
}

/**
 * A small router for the machine-to-machine edges (webhooks, storefront API, app proxy, health):
 * they answer platforms in milliseconds straight on node:http. Everything it does not know
 * goes to the Remix app (the staff admin).
 */
export class Router {
  private readonly routes: Route[] = [];
  private readonly ownedPrefixes: string[] = [];

  /** Paths under these prefixes are machine edges: one the router does not know is a JSON 404, not the admin's page. */
  own(...prefixes: string[]): this {
    this.ownedPrefixes.push(...prefixes);
    return this;
  }

  /** `path` may hold `:name` segments, e.g. `/api/v1/reservations/:id/extend`. */
  on(methods: string | string[], path: string, handler: RouteHandler): this {
    const keys: string[] = [];
    const source = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return "([^/]+)";
    });
    const pattern = new RegExp(`^${source}/?$`);
    let route = this.routes.find((r) => r.pattern.source === pattern.source);
    if (!route) {
      route = { pattern, keys, methods: new Map() };
      this.routes.push(route);
    }
    for (const method of [methods].flat()) route.methods.set(method.toUpperCase(), handler);
    return this;
  }

  /**
   * Answers the request and returns true, or returns false when no route matches its path. `parsed`:
   * the target as answerEveryRequest already parsed it (the server's path), else it is parsed here.
   */
  handle(req: IncomingMessage, res: ServerResponse, parsed?: URL): boolean {
    let url: URL;
    try {
      url = parsed ?? parseRequestTarget(req.url);
    } catch (error) {
      req.resume();
      sendError(res, error);
      return true;
    }
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      // The whole path decodes (parseRequestTarget), so each of its segments does.
      const params: Record<string, string> = {};
      for (let i = 0; i < route.keys.length; i++) params[route.keys[i]!] = decodeURIComponent(match[i + 1]!);
      const handler = route.methods.get(req.method ?? "GET") ?? (req.method === "HEAD" ? route.methods.get("GET") : undefined);
      if (!handler) {
        const allow = [...route.methods.keys()].join(", ");
        req.resume();
        sendError(res, new LockstepError("method_not_allowed", `${req.method} is not allowed here (allowed: ${allow})`, { allow }));
        return true;
      }
      // A caller's request id (or a new one) ties this request's log lines together, and is echoed back.
      const requestId = requestIdOf(req, res);
      // Under answerEveryRequest the id is the current one already: a second scope would only cost.
      if (currentCorrelationId() === requestId) runHandler(handler, { req, res, url, params });
      else withCorrelationId(requestId, () => runHandler(handler, { req, res, url, params }));
      return true;
    }
    if (this.ownedPrefixes.some((prefix) => url.pathname.startsWith(prefix))) {
      req.resume();
      sendError(res, new LockstepError("not_found", `Nothing is served at ${url.pathname}`));
      return true;
    }
    return false;
  }
}

/**
 * Runs a handler now, in the caller's tick, and answers whatever it throws or rejects with. A handler
 * that answers synchronously (a cached availability answer) creates no promise at all: on Node 20
 * every promise costs an async-hooks call once a correlation scope exists.
 */
function runHandler(handler: RouteHandler, request: RouteRequest): void {
  let answered: Promise<void> | void;
  try {
    answered = handler(request);
  } catch (error) {
    sendError(request.res, error);
    return;
  }
  if (answered) answered.catch((error: unknown) => sendError(request.res, error));
}
