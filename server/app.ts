import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import type { Config } from "../app/config/config.server";
import { LockstepError } from "../app/config/errors";
import { startBackgroundWork, stopInOrder } from "../app/background.server";
import { type AppContext, closeAppContext, createAppContext } from "../app/context.server";
import { type Database, openDatabase } from "../app/db/database.server";
import { applyMigrations, readMigrations } from "../app/db/migrations.server";
import { answerEveryRequest, answerUnparsableRequest } from "../app/http/answerEveryRequest.server";
import { createEdgeRouter } from "../app/http/edges.server";
import { createRemixListener } from "../app/http/remixAdapter.server";
import { sendJson } from "../app/http/respond.server";
import { createStaticFiles } from "../app/http/staticFiles.server";
import { log as appLog, setLogLevel } from "../app/observability/log.server";
import { sealStoredTokens } from "../app/shops/sealStoredTokens.server";

export const BUILD_DIR = path.resolve(import.meta.dirname, "../build");

export interface StartOptions {
  config: Config;
  /** An already open database (tests); by default the configured one is opened and migrated. */
  db?: Database;
  /** Runs after migrations, before the first request (the demo seeds its shop here). */
  beforeListen?: (context: AppContext) => Promise<void>;
  buildDir?: string;
  /** Start workers and sweepers in this process (default true). */
  background?: boolean;
  log?: (message: string) => void;
}

export interface RunningLockstep {
  url: string;
  context: AppContext;
  server: http.Server;
  close(): Promise<void>;
}

/** Opens the database, brings it to the latest migration, and serves the edges and the admin. */
export async function startLockstep(options: StartOptions): Promise<RunningLockstep> {
  const { config } = options;
  const log = options.log ?? ((message: string) => console.log(message));
  setLogLevel(config.logLevel);
  const db = options.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database }));
  const ownsDb = !options.db;
  let context: AppContext | undefined;
  try {
    const migrations = readMigrations();
    const applied = await applyMigrations(db.sql, migrations);
    if (applied.length > 0) log(`Applied migrations: ${applied.join(", ")}`);
    const sealed = await sealStoredTokens(db.sql, config);
    if (sealed > 0) log(`Sealed the stored tokens of ${sealed} Shopify session(s)`);
    // The process's services, made once: the edges and the background work get them as an argument, the admin as its load context.
    const services = createAppContext(config, db);
    context = services;
    await options.beforeListen?.(services);

    const edges = createEdgeRouter(services, migrations);
    const admin = await loadAdmin(options.buildDir ?? BUILD_DIR, services);
    const inFlight = trackRequests();
    const server = http.createServer(
      answerEveryRequest((req, res, url) => {
        inFlight.started(res);
        // Not async: an edge that answers synchronously (a cached availability answer) needs no promise.
        return edges.handle(req, res, url) ? undefined : admin(req, res);
      }),
    );
    server.on("clientError", answerUnparsableRequest);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const stopBackground = options.background === false ? [] : await startBackgroundWork(services);
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host === "0.0.0.0" ? "127.0.0.1" : config.host;

    let closing: Promise<void> | undefined;
    return {
      url: `http://${host}:${port}`,
      context: services,
      server,
      close() {
        closing ??= (async () => {
          // Stop accepting; answer what is in flight and let the background finish its rows, within
          // the deadline; whatever still hangs then is cut off so the database can close.
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          const drained = await withinDeadline(
            Promise.all([inFlight.drained(() => server.closeIdleConnections()), stopInOrder(stopBackground)]).then(() => closeAppContext(services)),
            config.shutdownTimeoutMs,
          );
          if (!drained) log(`Shutdown: still busy after ${config.shutdownTimeoutMs} ms, closing anyway`);
          server.closeAllConnections();
          await closed;
          if (ownsDb) await db.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    if (context) await closeAppContext(context);
    if (ownsDb) await db.close();
    throw error;
  }
}

/** Counts requests being answered, so a shutdown can wait for the last answer. */
function trackRequests() {
  let open = 0;
  let idle: (() => void) | undefined;
  let onAnswered: (() => void) | undefined;
  return {
    started(res: http.ServerResponse) {
      open += 1;
      res.once("close", () => {
        open -= 1;
        // A keep-alive connection whose answer went out is idle now: a closing server lets it go.
        if (onAnswered) setImmediate(onAnswered);
        if (open === 0) idle?.();
      });
    },
    drained(answered: () => void): Promise<void> {
      onAnswered = answered;
      return open === 0 ? Promise.resolve() : new Promise((resolve) => (idle = resolve));
    },
  };
}

/** True when `work` settled within `ms`; false when the deadline came first (the work is left to itself). */
async function withinDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), deadline]);
  } catch (error) {
    // A piece of work that failed to stop must not keep the rest (the database above all) open.
    appLog.error("shutdown: stopping failed", { error });
    return true;
  } finally {
    clearTimeout(timer);
  }
}

const ADMIN_METHODS = new Set(["GET", "HEAD", "POST"]);

type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

async function loadAdmin(buildDir: string, context: AppContext): Promise<Listener> {
  const { config } = context;
  const serverEntry = path.join(buildDir, "server/index.js");
  if (!existsSync(serverEntry)) {
    // The edges work without the admin build: tests of webhooks and APIs need no `npm run build`.
    return async (req, res) => {
      req.resume();
      sendJson(res, 503, { error: { code: "admin_not_built", message: "The admin is not built: run `npm run build` first" } });
    };
  }
  const build = (await import(pathToFileURL(serverEntry).href)) as ServerBuild;
  const remix = createRemixListener(build, config.nodeEnv === "production" ? "production" : "development", context);
  const assets = createStaticFiles(path.join(buildDir, "client"));
  return async (req, res) => {
    if (assets(req, res)) return;
    // The admin reads with GET and changes with POSTed forms; Remix would answer any other method
    // itself (405 with its own body, a stack trace in development).
    if (!ADMIN_METHODS.has(req.method ?? "")) {
      throw new LockstepError("method_not_allowed", `${req.method} is not allowed here (allowed: GET, HEAD, POST)`, { allow: "GET, HEAD, POST" });
    }
    await remix(req, res);
  };
}
