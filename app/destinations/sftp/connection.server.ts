import { createHash, timingSafeEqual } from "node:crypto";
import SftpClient from "ssh2-sftp-client";
import { LockstepError } from "../../config/errors";
import { type Breaker, CircuitBreaker, type CircuitBreakerSettings, defaultCircuitBreakerSettings } from "../../outbound/circuitBreaker";
import { type Clock, systemClock } from "../../config/clock";
import { isTransientNetworkError } from "../../outbound/errors";
import type { LimiterRegistry } from "../../outbound/limiterRegistry.server";
import type { LimiterMetrics } from "../../outbound/metrics.server";
import { perRegistry } from "../../outbound/perRegistry";
import { SharedCircuitBreaker } from "../../outbound/sharedCircuitBreaker.server";
import { throttledCall } from "../../outbound/throttledCall.server";
import type Bottleneck from "bottleneck";

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

/**
 * How SFTP sessions to one server go through app/outbound, like HTTP calls: a session is one job of
 * the limiter keyed by `id` (at most `concurrency` sessions at once, `requestsPerSecond` session
 * opens), behind the circuit breaker of `destination:<id>` (shared through Redis when the registry is).
 */
export interface SftpOutbound {
  registry: LimiterRegistry;
  /** A destination id, or `inbound:<shop id>` for an ERP's drop. */
  id: string;
  concurrency: number;
  requestsPerSecond: number;
  clock?: Clock;
  breaker?: Partial<CircuitBreakerSettings>;
}

interface SftpGate {
  limiter: Bottleneck;
  metrics: LimiterMetrics;
  breaker: Breaker;
}

const gates = perRegistry<SftpGate>();

function gateOf(outbound: SftpOutbound): SftpGate {
  const byId = gates(outbound.registry);
  const existing = byId.get(outbound.id);
  if (existing) return existing;
  const target = `destination:${outbound.id}`;
  const key = { kind: "destination" as const, id: outbound.id };
  const burst = Math.max(1, Math.ceil(outbound.requestsPerSecond));
  const limiter = outbound.registry.limiter(key, { maxConcurrent: outbound.concurrency, reservoir: burst, refill: { perSecond: outbound.requestsPerSecond, maximum: burst } });
  const settings = { ...defaultCircuitBreakerSettings, ...outbound.breaker };
  const clock = outbound.clock ?? systemClock;
  const shared = outbound.registry.sharedState(key);
  const breaker: Breaker = shared ? new SharedCircuitBreaker(target, settings, clock, shared, { probeClaimMs: 60_000 }) : new CircuitBreaker(target, settings, clock);
  const gate = { limiter, metrics: outbound.registry.metrics.for(target), breaker };
  byId.set(outbound.id, gate);
  return gate;
}

/** The server or the connection failed (what the breaker counts), as opposed to our own work failing inside a session. */
function transportFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (error instanceof LockstepError && error.code === "sftp_unavailable") || isTransientNetworkError(error) || code === "ERR_NOT_CONNECTED" || code === "ERR_GENERIC_CLIENT";
}

/**
 * One SFTP session around `work`. With `outbound`, the session waits its turn in the server's
 * limiter and runs behind its breaker (an open circuit refuses at once, without connecting); only
 * transport failures count against the circuit. Never retried here: the next run or pull decides.
 */
export async function withSftp<T>(target: SftpTarget, work: (client: SftpClient) => Promise<T>, outbound?: SftpOutbound): Promise<T> {
  const session = async (): Promise<{ value: T } | { failed: unknown }> => {
    const client = await connectSftp(target);
    try {
      return { value: await work(client) };
    } catch (error) {
      if (transportFailure(error)) throw error;
      return { failed: error };
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  if (!outbound) {
    const outcome = await session();
    if ("failed" in outcome) throw outcome.failed;
    return outcome.value;
  }
  const gate = gateOf(outbound);
  const outcome = await throttledCall(
    { ...gate, retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, clock: outbound.clock ?? systemClock, random: Math.random },
    1,
    session,
  );
  if ("failed" in outcome) throw outcome.failed;
  return outcome.value;
}

function sameFingerprint(key: Buffer, expected: string): boolean {
  const actual = Buffer.from(`SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`);
  const wanted = Buffer.from(expected);
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}
