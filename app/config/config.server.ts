import { isIP } from "node:net";
import { z } from "zod";
import type { DatabaseTimeouts } from "../db/database.server";
import { ConfigError } from "./errors";

/** The Admin API version every Shopify call and webhook subscription of Lockstep targets. */
export const SHOPIFY_API_VERSION = "2026-10";

export type AppMode = "embedded" | "standalone";

export interface Config {
  nodeEnv: "development" | "production" | "test";
  mode: AppMode;
  host: string;
  port: number;
  /** `postgresql://…` for PostgreSQL; undefined means the embedded PGlite database. */
  databaseUrl?: string;
  /** PGlite's data folder; `memory://` keeps it in memory. */
  dataDir: string;
  redisUrl?: string;
  /** The app's client secret: signs webhooks, app proxy requests and session tokens. */
  shopifyApiSecret: string;
  /** The secret being rotated out: Shopify may still sign with it for up to an hour. */
  shopifyPreviousApiSecret?: string;
  /** Set in embedded mode: the real Shopify app this process serves. */
  shopifyApp?: {
    apiKey: string;
    appUrl: string;
    scopes: string[];
  };
  /** Secrets that were not configured and were made up for this process (the demo prints them). */
  generatedSecrets: string[];
  /** Seals platform credentials at rest (BigCommerce store tokens). */
  encryptionKey: string;
  /** Secret that signs the staff login cookie of the standalone mode. */
  sessionSecret: string;
  /** Password of the standalone mode's local login (standalone mode only). */
  adminPassword?: string;
  /** Bearer token required by /metrics in production. */
  metricsToken?: string;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Requests per second one shop's API token may make to /api/v1 (twice that in a burst); beyond: 429. */
  storefrontRateLimit: number;
  /** How often this process's sweeper expires reservations whose time is up. */
  reservationSweepSeconds: number;
  /** Reservation requests waiting for the database at most in this process; beyond: 503 with Retry-After. */
  reservationQueueLimit: number;
  /** Requests per second one shopper may make through the app proxy (twice that in a burst); beyond: 429. */
  proxyShopperRateLimit: number;
  /** BigCommerce app credentials: the client secret signs webhooks (Standard Webhooks key) and load/uninstall JWTs. */
  bigCommerce: {
    clientId?: string;
    clientSecret: string;
    /** Where the OAuth code of an install is exchanged for the store's access token. */
    loginBaseUrl: string;
  };
  /** Webhook ingestion (app/webhooks). */
  webhooks: {
    /** Larger bodies get 413. */
    bodyLimitBytes: number;
    /** Attempts before an event becomes a dead letter, the first one included. */
    maxAttempts: number;
    /** Worker loops inside the app process; 0 when separate `npm run worker` processes do the work. */
    workers: number;
    /** How long a claimed row stays leased to its worker before another may take it. */
    leaseMs: number;
    /** How often an idle worker looks for work it was not woken for (in-process deliveries and NOTIFY wake it at once). */
    pollMs: number;
    /** Processed deliveries are kept this long (for audit and late-duplicate dedupe), then purged. */
    retentionDays: number;
    /** Deliveries held in memory waiting to be stored, and their bytes; beyond either: 503 with Retry-After. */
    queueLimit: number;
    queueLimitBytes: number;
    /** A row whose worker died on it this many times (its lease ran out) becomes a dead letter. */
    maxLeaseExpiries: number;
  };
  /** Price activation (app/prices). */
  prices: {
    /** How long claimed activations stay this process's: rows held by a process that died are pushed by another after it. */
    leaseMs: number;
  };
  demo: {
    /** The demo shop's API token (LOCKSTEP_DEMO_API_TOKEN), so outside tools can call /api/v1. */
    apiToken?: string;
    /** Simulated shoppers and platform changes; `LOCKSTEP_DEMO_TRAFFIC=off` keeps the demo shop quiet. */
    traffic: boolean;
  };
  /** How long the database may take before a caller gets a 503 instead of waiting (app/db). */
  database: DatabaseTimeouts;
  /** Metrics, latency roll-ups and objectives (app/observability, app/slo). */
  observability: {
    /** How often each process publishes its metrics and latency roll-ups to the database. */
    publishSeconds: number;
    /** Per-minute latency roll-ups older than this are deleted. */
    latencyRetentionDays: number;
    /** Staff audit entries older than this are deleted (the audit log's retention policy). */
    auditRetentionDays: number;
    /** How often the (one, leased) evaluator checks every shop's objectives. */
    sloEvaluateSeconds: number;
  };
  /** How long a stopping process drains requests and background work before it closes anyway. */
  shutdownTimeoutMs: number;
  /** Outbound calls (app/outbound, app/platforms): where the platform APIs are, how limiters are shared. */
  outbound: {
    /** Instead of https://{shop}: the demo and tests point Shopify Admin calls at the simulator. */
    shopifyAdminBaseUrl?: string;
    bigCommerceApiBaseUrl: string;
    /** Namespace of the shared limiter state in Redis: processes with the same prefix share budgets. */
    limiterPrefix: string;
  };
  /** Who may be trusted about the client's address, and how much the admin reads (app/http). */
  clients: {
    /** Proxies in front of Lockstep whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed; nobody else's. */
    trustedProxies: string[];
    /** Larger request bodies to the admin (forms, actions) get 413 before they are parsed. */
    adminBodyLimitBytes: number;
    /** Storefront API requests per second one client address may make before its token is known (twice that in a burst). */
    unauthenticatedRateLimit: number;
  };
}

const SHOPIFY_VARIABLES = ["SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_APP_URL", "SCOPES"] as const;
/** Any of these means "this is a real Shopify app"; SHOPIFY_API_SECRET alone only fixes the demo's signing secret. */
const EMBEDDED_TRIGGERS = ["SHOPIFY_API_KEY", "SHOPIFY_APP_URL", "SCOPES"] as const;

const nonEmpty = z.string().trim().min(1, "must not be empty");

const environmentSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: nonEmpty.default("127.0.0.1"),
  PORT: z.coerce.number().int("must be a whole number").min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgresql:// URL")
    .optional(),
  LOCKSTEP_DATA_DIR: nonEmpty.default("./data/pglite"),
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/, "must be a redis:// URL")
    .optional(),
  SHOPIFY_API_KEY: nonEmpty.optional(),
  SHOPIFY_API_SECRET: nonEmpty.optional(),
  SHOPIFY_API_SECRET_PREVIOUS: nonEmpty.optional(),
  SHOPIFY_APP_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  SCOPES: z
    .string()
    .trim()
    .regex(/^[a-z_]+(,[a-z_]+)*$/, "must be a comma-separated list of scopes such as read_products,write_inventory")
    .optional(),
  LOCKSTEP_SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  LOCKSTEP_ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LOCKSTEP_ENCRYPTION_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  BIGCOMMERCE_LOGIN_BASE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default("https://login.bigcommerce.com"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  LOCKSTEP_STOREFRONT_RATE_LIMIT: z.coerce.number().int("must be a whole number").min(1).default(500),
  LOCKSTEP_RESERVATION_SWEEP_SECONDS: z.coerce.number().min(0.1).max(3600).default(5),
  LOCKSTEP_RESERVATION_QUEUE_LIMIT: z.coerce.number().int("must be a whole number").min(1).max(1_000_000).default(1024),
  LOCKSTEP_PROXY_SHOPPER_RATE_LIMIT: z.coerce.number().int("must be a whole number").min(1).default(5),
  BIGCOMMERCE_CLIENT_ID: nonEmpty.optional(),
  BIGCOMMERCE_CLIENT_SECRET: nonEmpty.optional(),
  LOCKSTEP_WEBHOOK_BODY_LIMIT_BYTES: z.coerce.number().int("must be a whole number").min(1024).default(2 * 1024 * 1024),
  LOCKSTEP_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int("must be a whole number").min(1).max(100).default(8),
  LOCKSTEP_WEBHOOK_WORKERS: z.coerce.number().int("must be a whole number").min(0).max(64).default(1),
  LOCKSTEP_WEBHOOK_LEASE_MS: z.coerce.number().int("must be a whole number").min(1000).default(30_000),
  LOCKSTEP_WEBHOOK_POLL_MS: z.coerce.number().int("must be a whole number").min(10).default(1000),
  LOCKSTEP_WEBHOOK_QUEUE_LIMIT: z.coerce.number().int("must be a whole number").min(1).default(2000),
  LOCKSTEP_WEBHOOK_QUEUE_LIMIT_BYTES: z.coerce.number().int("must be a whole number").min(1024 * 1024).default(64 * 1024 * 1024),
  LOCKSTEP_WEBHOOK_MAX_LEASE_EXPIRIES: z.coerce.number().int("must be a whole number").min(1).max(100).default(5),
  LOCKSTEP_WEBHOOK_RETENTION_DAYS: z.coerce.number().int("must be a whole number").min(3, "must be at least 3 (BigCommerce redelivers for 48 h)").default(14),
  LOCKSTEP_PRICE_LEASE_MS: z.coerce.number().int("must be a whole number").min(1000).default(60_000),
  LOCKSTEP_DEMO_API_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  LOCKSTEP_DEMO_TRAFFIC: z.enum(["on", "off"], { error: "must be on or off" }).default("on"),
  SHOPIFY_ADMIN_API_BASE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  BIGCOMMERCE_API_BASE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default("https://api.bigcommerce.com"),
  LOCKSTEP_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int("must be a whole number").min(100).default(5_000),
  LOCKSTEP_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int("must be a whole number").min(100).default(20_000),
  LOCKSTEP_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int("must be a whole number").min(100).default(30_000),
  LOCKSTEP_DB_IDLE_CLIENT_TIMEOUT_MS: z.coerce.number().int("must be a whole number").min(100).default(30_000),
  LOCKSTEP_METRICS_PUBLISH_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  LOCKSTEP_LATENCY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  LOCKSTEP_AUDIT_RETENTION_DAYS: z.coerce.number().int("must be a whole number").min(30, "must be at least 30").max(3650).default(365),
  LOCKSTEP_SLO_EVALUATE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  LOCKSTEP_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int("must be a whole number").min(0).default(10_000),
  LOCKSTEP_LIMITER_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'")
    .default("lockstep"),
  LOCKSTEP_TRUSTED_PROXIES: z
    .string()
    .trim()
    .refine((value) => value.split(",").every((address) => isIP(address.trim()) !== 0), "must be a comma-separated list of IP addresses (the proxies in front of Lockstep)")
    .optional(),
  LOCKSTEP_ADMIN_BODY_LIMIT_BYTES: z.coerce.number().int("must be a whole number").min(1024).default(256 * 1024),
  LOCKSTEP_UNAUTHENTICATED_RATE_LIMIT: z.coerce.number().int("must be a whole number").min(1).default(20),
});

type Environment = Record<string, string | undefined>;

/**
 * Reads and validates the whole configuration once, at start-up. Every problem is reported
 * with the variable's name, all at once, so a bad deployment fails fast and says why.
 */
export function loadConfig(env: Environment = process.env): Config {
  // Empty strings count as unset: `FOO= npm start` should not mean "FOO is the empty string".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  const vars = parsed.data;

  const missing = SHOPIFY_VARIABLES.filter((name) => vars[name] === undefined);
  const wantsEmbedded = EMBEDDED_TRIGGERS.some((name) => vars[name] !== undefined);
  if (wantsEmbedded && missing.length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${missing.join(", ")} missing (a Shopify app needs all of ${SHOPIFY_VARIABLES.join(", ")})`,
    );
  }
  const mode: AppMode = wantsEmbedded ? "embedded" : "standalone";
  if (mode === "standalone" && vars.NODE_ENV === "production") {
    throw new ConfigError(
      `Invalid configuration: NODE_ENV=production needs Shopify credentials (${SHOPIFY_VARIABLES.join(", ")}); the standalone demo mode never runs in production`,
    );
  }
  if (vars.NODE_ENV === "production" && !vars.LOCKSTEP_SESSION_SECRET) {
    throw new ConfigError("Invalid configuration: LOCKSTEP_SESSION_SECRET missing (required when NODE_ENV=production)");
  }
  if (vars.NODE_ENV === "production" && !vars.LOCKSTEP_ENCRYPTION_KEY) {
    throw new ConfigError("Invalid configuration: LOCKSTEP_ENCRYPTION_KEY missing (required when NODE_ENV=production: it seals store credentials)");
  }
  if (vars.NODE_ENV === "production" && !vars.METRICS_TOKEN) {
    throw new ConfigError("Invalid configuration: METRICS_TOKEN missing (required when NODE_ENV=production)");
  }

  const generatedSecrets: string[] = [];
  const secretOrGenerated = (name: string, value: string | undefined) => {
    if (value !== undefined) return value;
    generatedSecrets.push(name);
    return randomSecret();
  };

  return {
    nodeEnv: vars.NODE_ENV,
    mode,
    host: vars.HOST,
    port: vars.PORT,
    databaseUrl: vars.DATABASE_URL,
    dataDir: vars.LOCKSTEP_DATA_DIR,
    redisUrl: vars.REDIS_URL,
    shopifyApiSecret: secretOrGenerated("SHOPIFY_API_SECRET", vars.SHOPIFY_API_SECRET),
    shopifyPreviousApiSecret: vars.SHOPIFY_API_SECRET_PREVIOUS,
    shopifyApp:
      mode === "embedded"
        ? {
            apiKey: vars.SHOPIFY_API_KEY!,
            appUrl: vars.SHOPIFY_APP_URL!.replace(/\/$/, ""),
            scopes: vars.SCOPES!.split(","),
          }
        : undefined,
    generatedSecrets,
    // Outside production an unset secret gets a per-process random one: logins then last one run.
    sessionSecret: secretOrGenerated("LOCKSTEP_SESSION_SECRET", vars.LOCKSTEP_SESSION_SECRET),
    encryptionKey: secretOrGenerated("LOCKSTEP_ENCRYPTION_KEY", vars.LOCKSTEP_ENCRYPTION_KEY),
    adminPassword: mode === "standalone" ? secretOrGenerated("LOCKSTEP_ADMIN_PASSWORD", vars.LOCKSTEP_ADMIN_PASSWORD) : undefined,
    metricsToken: vars.METRICS_TOKEN,
    logLevel: vars.LOG_LEVEL,
    storefrontRateLimit: vars.LOCKSTEP_STOREFRONT_RATE_LIMIT,
    reservationSweepSeconds: vars.LOCKSTEP_RESERVATION_SWEEP_SECONDS,
    reservationQueueLimit: vars.LOCKSTEP_RESERVATION_QUEUE_LIMIT,
    proxyShopperRateLimit: vars.LOCKSTEP_PROXY_SHOPPER_RATE_LIMIT,
    bigCommerce: {
      clientId: vars.BIGCOMMERCE_CLIENT_ID,
      clientSecret: secretOrGenerated("BIGCOMMERCE_CLIENT_SECRET", vars.BIGCOMMERCE_CLIENT_SECRET),
      loginBaseUrl: vars.BIGCOMMERCE_LOGIN_BASE_URL.replace(/\/$/, ""),
    },
    webhooks: {
      bodyLimitBytes: vars.LOCKSTEP_WEBHOOK_BODY_LIMIT_BYTES,
      maxAttempts: vars.LOCKSTEP_WEBHOOK_MAX_ATTEMPTS,
      workers: vars.LOCKSTEP_WEBHOOK_WORKERS,
      leaseMs: vars.LOCKSTEP_WEBHOOK_LEASE_MS,
      pollMs: vars.LOCKSTEP_WEBHOOK_POLL_MS,
      retentionDays: vars.LOCKSTEP_WEBHOOK_RETENTION_DAYS,
      queueLimit: vars.LOCKSTEP_WEBHOOK_QUEUE_LIMIT,
      queueLimitBytes: vars.LOCKSTEP_WEBHOOK_QUEUE_LIMIT_BYTES,
      maxLeaseExpiries: vars.LOCKSTEP_WEBHOOK_MAX_LEASE_EXPIRIES,
    },
    prices: { leaseMs: vars.LOCKSTEP_PRICE_LEASE_MS },
    demo: { apiToken: vars.LOCKSTEP_DEMO_API_TOKEN, traffic: vars.LOCKSTEP_DEMO_TRAFFIC === "on" },
    database: {
      connectMs: vars.LOCKSTEP_DB_CONNECT_TIMEOUT_MS,
      statementMs: vars.LOCKSTEP_DB_STATEMENT_TIMEOUT_MS,
      idleInTransactionMs: vars.LOCKSTEP_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      idleClientMs: vars.LOCKSTEP_DB_IDLE_CLIENT_TIMEOUT_MS,
    },
    observability: {
      publishSeconds: vars.LOCKSTEP_METRICS_PUBLISH_SECONDS,
      latencyRetentionDays: vars.LOCKSTEP_LATENCY_RETENTION_DAYS,
      auditRetentionDays: vars.LOCKSTEP_AUDIT_RETENTION_DAYS,
      sloEvaluateSeconds: vars.LOCKSTEP_SLO_EVALUATE_SECONDS,
    },
    shutdownTimeoutMs: vars.LOCKSTEP_SHUTDOWN_TIMEOUT_MS,
    outbound: {
      shopifyAdminBaseUrl: vars.SHOPIFY_ADMIN_API_BASE_URL?.replace(/\/$/, ""),
      bigCommerceApiBaseUrl: vars.BIGCOMMERCE_API_BASE_URL.replace(/\/$/, ""),
      limiterPrefix: vars.LOCKSTEP_LIMITER_PREFIX,
    },
    clients: {
      trustedProxies: vars.LOCKSTEP_TRUSTED_PROXIES?.split(",").map((address) => normaliseAddress(address.trim())) ?? [],
      adminBodyLimitBytes: vars.LOCKSTEP_ADMIN_BODY_LIMIT_BYTES,
      unauthenticatedRateLimit: vars.LOCKSTEP_UNAUTHENTICATED_RATE_LIMIT,
    },
  };
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** One spelling per address: an IPv4 client reaches a dual-stack socket as `::ffff:a.b.c.d`. */
export function normaliseAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith("::ffff:") && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}
