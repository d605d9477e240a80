import { createHash, timingSafeEqual } from "node:crypto";
import SftpClient from "ssh2-sftp-client";
import { LockstepError } from "../../config/errors";

/** Where files go on an SFTP server and how Lockstep logs in, opened from a destination's endpoint and sealed credentials. */
export interface SftpTarget {
  host: string;
  port: number;
  /** Absolute directory on the server (the endpoint's path), without a trailing slash. */
  directory: string;
  username: string;
  /** One of: a private key (PEM / OpenSSH), optionally with its passphrase, or a password. */
  privateKey?: string;
  passphrase?: string;
  password?: string;
  /** `SHA256:<base64>` as `ssh-keygen -lf` prints it: when set, any other host key is refused. */
  hostKeySha256?: string;
}

/** Reads `sftp://host[:port]/dir` and the credentials `{username, privateKey | password, passphrase?, hostKeySha256?}`. */
export function sftpTarget(endpoint: string, credentials: Record<string, string>): SftpTarget {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new LockstepError("invalid_endpoint", `endpoint ${JSON.stringify(endpoint)} is not a URL like sftp://host:22/inbound`);
  }
  if (url.protocol !== "sftp:") throw new LockstepError("invalid_endpoint", `endpoint must start with sftp://, not ${url.protocol}//`);
  if (!credentials.username) throw new LockstepError("invalid_credentials", "SFTP credentials need a username");
  if (!credentials.privateKey && !credentials.password) throw new LockstepError("invalid_credentials", "SFTP credentials need a privateKey or a password");
  const directory = decodeURIComponent(url.pathname).replace(/\/+$/, "") || "/";
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 22,
    directory,
    username: credentials.username,
    privateKey: credentials.privateKey,
    passphrase: credentials.passphrase,
    password: credentials.password,
    hostKeySha256: credentials.hostKeySha256,
  };
}

/** Opens one SFTP session; the caller ends it (`withSftp` does). */
export async function connectSftp(target: SftpTarget): Promise<SftpClient> {
  const client = new SftpClient("lockstep");
  try {
    await client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey: target.privateKey,
      passphrase: target.passphrase,
      password: target.password,
      readyTimeout: 15_000,
      // No retries inside the library: app/outbound and the next run decide when to try again.
      retries: 0,
      hostVerifier: target.hostKeySha256 ? (key: Buffer) => sameFingerprint(key, target.hostKeySha256!) : undefined,
    });
  } catch (error) {
    throw new LockstepError("sftp_unavailable", `cannot open SFTP to ${target.host}:${target.port}: ${(error as Error).message}`);
  }
  return client;
}

export async function withSftp<T>(target: SftpTarget, work: (client: SftpClient) => Promise<T>): Promise<T> {
  const client = await connectSftp(target);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sameFingerprint(key: Buffer, expected: string): boolean {
  const actual = Buffer.from(`SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`);
  const wanted = Buffer.from(expected);
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}
