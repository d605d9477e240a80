import type { AppContext } from "../context.server";
import { type Migration, migrationStatus } from "../db/migrations.server";
import { sendJson } from "./respond.server";
import type { Router } from "./router.server";

const READINESS_TIMEOUT_MS = 2_000;

/** `/healthz`: the process is up. `/readyz`: it can serve (database reachable, schema current). */
export function registerHealthRoutes(router: Router, context: AppContext, migrations: Migration[]): void {
  router.on("GET", "/healthz", ({ res }) => {
    // `pid` tells which process of a cluster answered (`npm run cluster`: many behind one port).
    sendJson(res, 200, { status: "ok", pid: process.pid, uptimeSeconds: Math.round((Date.now() - context.startedAt.getTime()) / 1000) }, { "cache-control": "no-store" });
  });

  router.on("GET", "/readyz", async ({ res }) => {
    const report = await readiness(context, migrations);
    sendJson(res, report.status === "ready" ? 200 : 503, report, { "cache-control": "no-store" });
  });
}

export async function readiness(context: Pick<AppContext, "config" | "db" | "startedAt">, migrations: Migration[]) {
  const database = { kind: context.db.kind, reachable: false, error: undefined as string | undefined };
  let schema: { current: boolean; pending: string[]; modified: string[] } | undefined;
  try {
    const status = await withTimeout(migrationStatus(context.db.sql, migrations), READINESS_TIMEOUT_MS);
    database.reachable = true;
    schema = { current: status.current, pending: status.pending, modified: status.modified };
  } catch (error) {
    database.error = error instanceof Error ? error.message : String(error);
  }
  const ready = database.reachable && schema?.current === true;
  return { status: ready ? "ready" : "not_ready", database, migrations: schema ?? null };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
