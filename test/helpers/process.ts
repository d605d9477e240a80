import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output, or rejects if the process ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs an entry of the project as a real process: a TypeScript one (`server/main.ts`,
 * `server/worker.ts`) through tsx, or one already compiled to JavaScript (see `bundleEntry`) as it is.
 */
export function startProcess(script: string, args: string[], env: Record<string, string | undefined>, nodeArgs: string[] = []): Started {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, ["--unhandled-rejections=strict", ...nodeArgs, ...loader, script, ...args], {
    cwd: ROOT,
    env: { NODE_ENV: "development", PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            done();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const ended = () => {
          done();
          reject(new Error(`the process ended before printing ${pattern}:\n${output}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", ended);
        };
        listeners.add(check);
        child.once("exit", ended);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Compiles a TypeScript entry and the project's modules it imports into one JavaScript file (the
 * packages stay in node_modules), for a test that starts the entry many times: tsx compiles and
 * resolves every module again at each start (a worker took ~3.7 s of CPU to start through tsx,
 * ~1.4 s from the bundle, on a loaded 2-core machine). The file goes in `.cache/` two folders below
 * the root, so paths the modules compute from their own folder (`../../prisma/migrations`) still hold.
 */
export async function bundleEntry(script: string): Promise<string> {
  const { build } = await import("esbuild");
  const outfile = path.join(ROOT, ".cache", "bundles", `${path.basename(script, ".ts")}-${process.pid}.mjs`);
  await build({ entryPoints: [path.join(ROOT, script)], outfile, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "error" });
  return outfile;
}
