import { spawn } from "node:child_process";

export interface BenchServer {
  port: number;
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
