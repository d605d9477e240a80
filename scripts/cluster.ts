// `npm run cluster -- --web N --workers M`: N web processes behind one port and M worker processes,
// all on one PostgreSQL database (and Redis when REDIS_URL is set), as a deployment would run them.
//
// The web processes are `server/main.ts` forked by node:cluster and share one listening socket; the
// kernel gives each new connection to one of them (SCHED_NONE: with the primary's round robin, a
// connection handed to a process that had just died was lost). The primary brings the database to
// the latest migration first, so no process starts against an older schema.
// They store webhooks and answer the APIs but apply nothing (LOCKSTEP_WEBHOOK_WORKERS=0); the worker
// processes are `server/worker.ts` and apply the inbox under its leases. A process that dies is
// started again; SIGTERM / SIGINT stop them all (each drains as it does alone) and then the primary.
import cluster, { type Worker as ClusterWorker } from "node:cluster";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../app/config/config.server";
import { openDatabase } from "../app/db/database.server";
import { applyMigrations } from "../app/db/migrations.server";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESTART_DELAY_MS = 1_000;

interface Options {
  web: number;
  workers: number;
  workerLoops: number;
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      web: { type: "string", default: "2" },
      workers: { type: "string", default: "2" },
      "worker-loops": { type: "string", default: "1" },
    },
  });
  const count = (name: string, value: string, min: number) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > 64) throw new Error(`--${name} must be a whole number from ${min} to 64 (got "${value}")`);
    return parsed;
  };
  return { web: count("web", values.web!, 1), workers: count("workers", values.workers!, 0), workerLoops: count("worker-loops", values["worker-loops"]!, 1) };
}

async function migrate(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database });
  try {
    const applied = await applyMigrations(db.sql);
    if (applied.length > 0) console.log(`cluster: applied ${applied.join(", ")}`);
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  if (!process.env.DATABASE_URL) {
    // Embedded PGlite lives inside one process: more than one needs a database server.
    console.error("npm run cluster needs DATABASE_URL (PostgreSQL): the embedded database serves one process only");
    process.exit(2);
  }
  if (!process.env.REDIS_URL) {
    console.warn("REDIS_URL is not set: each web process keeps its own availability cache and outbound limiters");
  }

  await migrate();
  let stopping = false;
  const workerProcesses = new Set<ChildProcess>();

  // Web processes: the primary's execArgv carries tsx's loader, so each fork runs TypeScript too.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: path.join(ROOT, "server/main.ts"), args: [], silent: false });
  const webEnv = { ...process.env, LOCKSTEP_WEBHOOK_WORKERS: "0", LOCKSTEP_CLUSTER_ROLE: "web" };
  const forkWeb = () => cluster.fork(webEnv);
  cluster.on("exit", (worker: ClusterWorker, code, signal) => {
    if (stopping) return;
    console.error(`web process ${worker.process.pid} ended (${signal ?? code}); starting another in ${RESTART_DELAY_MS} ms`);
    setTimeout(() => !stopping && forkWeb(), RESTART_DELAY_MS);
  });

  const startWorker = () => {
    const child = spawn(process.execPath, [...process.execArgv, path.join(ROOT, "server/worker.ts")], {
      cwd: ROOT,
      env: { ...process.env, LOCKSTEP_WEBHOOK_WORKERS: String(options.workerLoops), LOCKSTEP_CLUSTER_ROLE: "worker" },
      stdio: "inherit",
    });
    workerProcesses.add(child);
    child.on("exit", (code, signal) => {
      workerProcesses.delete(child);
      if (stopping) return;
      console.error(`worker process ${child.pid} ended (${signal ?? code}); starting another in ${RESTART_DELAY_MS} ms`);
      setTimeout(() => !stopping && startWorker(), RESTART_DELAY_MS);
    });
  };

  for (let i = 0; i < options.web; i += 1) forkWeb();
  for (let i = 0; i < options.workers; i += 1) startWorker();
  console.log(`Lockstep cluster: ${options.web} web process(es) sharing one port, ${options.workers} worker process(es) × ${options.workerLoops} loop(s)`);

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`cluster: ${signal}, stopping every process`);
    const ended: Promise<unknown>[] = [];
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (!worker || worker.isDead()) continue;
      ended.push(new Promise((resolve) => worker.once("exit", resolve)));
      worker.process.kill(signal);
    }
    for (const child of workerProcesses) {
      ended.push(new Promise((resolve) => child.once("exit", resolve)));
      child.kill(signal);
    }
    void Promise.all(ended).then(() => {
      console.log("cluster: every process stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
