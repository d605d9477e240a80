import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

export interface BenchServer {
  port: number;
  /**
   * CPU seconds (user + system) the server process has used so far, read from /proc: undefined where
   * there is none. Steadier than throughput on a shared machine: a neighbour slows a round, it does
   * not make an answer cost more CPU.
   */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts a benchmark's server script in a process of its own (so the client's work is not counted
 * against it) and resolves with the port it prints as `listening <port>`; fails if it exits first.
 */
export async function startBenchServer(script: string, args: string[], options: { cwd: string; env?: Record<string, string>; nodeFlags?: string[] }): Promise<BenchServer> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), "--import", "tsx", script, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", ...options.env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // Whatever happens to this process (a failed start of the next server, an exception), the server goes with it.
  const orphan = () => child.kill("SIGKILL");
  process.once("exit", orphan);
  child.once("exit", () => process.off("exit", orphan));
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`${script} ${args.join(" ")} exited with ${code}: ${output}`)));
  });
  return {
    port,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

// /proc/<pid>/stat counts in clock ticks; 100 per second on Linux (USER_HZ).
const TICKS_PER_SECOND = 100;

function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
