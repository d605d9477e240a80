import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./net";

const SSHD = "/usr/sbin/sshd";
const run = promisify(execFile);

export interface SftpServer {
  host: string;
  port: number;
  /** The user the tests log in as (the one running the tests: root in CI). */
  username: string;
  /** PEM private key of that user (the matching public key is the server's only authorized key). */
  privateKey: string;
  /** A fresh directory on the server for the test's files (absolute path, readable from the test too). */
  root: string;
  /** The server's log (sshd -e), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * A real OpenSSH SFTP server on a free loopback port: Debian's sshd with generated host and user
 * keys, `Subsystem sftp internal-sftp`, no PAM, key authentication only, files in a temporary
 * directory. Stopped (and its directory removed) by `stop()`.
 */
export async function startSftpServer(): Promise<SftpServer> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: the SFTP tests need a real OpenSSH server. Install it with \`apt-get install openssh-server\`.`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "lockstep-sshd-"));
  const root = path.join(dir, "files");
  await mkdir(root);
  const hostKey = path.join(dir, "host_ed25519");
  const userKey = path.join(dir, "user_rsa");
  // ssh2 reads PEM RSA keys; ed25519 host keys are fine.
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  await run("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", userKey]);
  const authorizedKeys = path.join(dir, "authorized_keys");
  await writeFile(authorizedKeys, await readFile(`${userKey}.pub`));
  await chmod(authorizedKeys, 0o600);
  // sshd refuses to start without its privilege separation directory (Debian creates it at boot).
  if (process.getuid?.() === 0) await mkdir("/run/sshd", { recursive: true, mode: 0o755 });

  const port = await freePort();
  const config = path.join(dir, "sshd_config");
  await writeFile(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `StrictModes no`,
      `UsePAM no`,
      `PermitRootLogin prohibit-password`,
      `PubkeyAuthentication yes`,
      `PasswordAuthentication no`,
      `KbdInteractiveAuthentication no`,
      `Subsystem sftp internal-sftp`,
      `LogLevel VERBOSE`,
      "",
    ].join("\n"),
  );
  const child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  await waitForListening(child, port, () => log);

  return {
    host: "127.0.0.1",
    port,
    username: os.userInfo().username,
    privateKey: await readFile(userKey, "utf8"),
    root,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function waitForListening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`sshd did not listen on port ${port} within 10 s:\n${log()}`)), 10_000);
    const check = () => {
      if (log().includes(`Server listening on 127.0.0.1 port ${port}`)) done(resolve);
    };
    const exited = (code: number | null) => fail(new Error(`sshd exited (${code}) before listening:\n${log()}`));
    const fail = (error: Error) => done(() => reject(error));
    function done(then: () => void) {
      clearTimeout(timer);
      child.stderr!.off("data", check);
      child.off("exit", exited);
      then();
    }
    child.stderr!.on("data", check);
    child.once("exit", exited);
    check();
  });
}
