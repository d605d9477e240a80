import { randomBytes } from "node:crypto";
import { z } from "zod";
import { LockstepError } from "../config/errors";
import type { SqlRunner } from "../db/database.server";
import { openCredential, sealCredential } from "../shops/credentials.server";
import { findShopById } from "../shops/sql/findShop";
import type { AdapterRegistry } from "./adapters";
import { isCron } from "./cadence";
import type { DestinationRow } from "./sql/destinationRow";
import { findDestinationRow } from "./sql/findDestinationRow";
import { findRun } from "./sql/findRun";
import { insertDestination } from "./sql/insertDestination";
import { listDestinationRows } from "./sql/listDestinationRows";
import { setRequestedRun } from "./sql/setRequestedRun";
import { updateDestinationSettings } from "./sql/updateDestinationSettings";
import type { Destination, DestinationKind, DestinationMode, Receives } from "./types";

// Destinations are data: staff and operators create them per shop; credentials and the signing
// secret are sealed at rest and never leave through a view.

const KINDS = ["erp_http", "sftp_files", "google_feed", "amazon_listings"] as const;
const RECEIVES = ["catalog", "price", "stock", "orders"] as const;

const destinationFields = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  kind: z.enum(KINDS, { message: `kind must be one of ${KINDS.join(", ")}` }),
  endpoint: z.string().trim().min(1, "endpoint is required").max(2000),
  credentials: z.record(z.string(), z.string().max(10_000)).default({}),
  receives: z.array(z.enum(RECEIVES, { message: `receives takes ${RECEIVES.join(", ")}` })).min(1, "receives needs at least one of catalog, price, stock, orders"),
  options: z.record(z.string(), z.unknown()).default({}),
  cadence: z.string().trim().refine(isCron, "cadence must be a cron expression, e.g. */15 * * * *").default("*/15 * * * *"),
  sizeThreshold: z.number().int().min(1).max(10_000_000).nullable().default(null),
  limits: z
    .object({
      requestsPerSecond: z.number().positive().max(10_000).default(5),
      concurrency: z.number().int().min(1).max(100).default(2),
      batchSize: z.number().int().min(1).max(25_000).default(100),
    })
    .default({ requestsPerSecond: 5, concurrency: 2, batchSize: 100 }),
  mode: z.enum(["shadow", "live"]).default("shadow"),
  varianceThreshold: z.number().min(0).max(1).default(0.001),
  snapshotRetentionDays: z.number().int().min(1).max(3650).default(30),
  /** Generated when absent (`whsec_` + 24 random bytes, the Standard Webhooks format). */
  signingSecret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, "signingSecret must look like whsec_<base64>").optional(),
  enabled: z.boolean().default(true),
});

export type DestinationInput = z.input<typeof destinationFields>;
const destinationChanges = destinationFields.partial().omit({ kind: true });
export type DestinationChanges = z.input<typeof destinationChanges>;

function parse<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join(".");
  throw new LockstepError("invalid_destination", field ? `${field}: ${issue.message}` : issue.message, { field });
}

function checkEndpoint(kind: DestinationKind, endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new LockstepError("invalid_destination", "endpoint: must be an absolute URL", { field: "endpoint" });
  }
  const allowed = kind === "sftp_files" ? ["sftp:"] : ["https:", "http:"];
  if (!allowed.includes(url.protocol)) {
    throw new LockstepError("invalid_destination", `endpoint: a ${kind} destination needs a ${allowed.join(" or ")} URL`, { field: "endpoint" });
  }
}

/**
 * `options.priceList`: the price list whose prices the destination receives (a named list: B2B, a
 * marketplace); absent or `default`: the store's own. The pipeline checks and reads it, so every
 * kind takes it: the adapter's schema gets the other options.
 */
const priceListOption = z
  .string({ message: "options.priceList must be a price list name" })
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "options.priceList is a price list name: 1 to 64 letters, digits and _.:-")
  .optional();

const DEFAULT_PRICE_LIST = "default";

function parseOptions(adapters: AdapterRegistry, kind: DestinationKind, raw: Record<string, unknown>): Record<string, unknown> {
  const { priceList, ...rest } = raw;
  const list = priceListOption.safeParse(priceList);
  if (!list.success) throw new LockstepError("invalid_destination", list.error.issues[0]!.message, { field: "options.priceList" });
  const options = adapters.adapterFor(kind).parseOptions(rest);
  return list.data === undefined || list.data === DEFAULT_PRICE_LIST ? options : { ...options, priceList: list.data };
}

/** Order events are real-time calls: only a kind that can deliver one (`deliverEvent`) receives them. */
function checkReceives(adapters: AdapterRegistry, kind: DestinationKind, receives: Receives[]): void {
  if (receives.includes("orders") && !adapters.adapterFor(kind).deliverEvent) {
    throw new LockstepError("invalid_destination", `receives: a ${kind} destination cannot receive order events (they are delivered in real time over HTTP)`, { field: "receives" });
  }
}

/** What staff see of a destination: everything but the credentials and the secret. */
export interface DestinationView {
  id: string;
  shopId: string;
  name: string;
  kind: DestinationKind;
  endpoint: string;
  hasCredentials: boolean;
  receives: Receives[];
  options: Record<string, unknown>;
  cadence: string;
  sizeThreshold: number | null;
  limits: Destination["limits"];
  mode: DestinationMode;
  varianceThreshold: number;
  snapshotRetentionDays: number;
  enabled: boolean;
  watermark: string;
  nextRunAt: Date | null;
  requestedRun: string | null;
}

function viewOf(row: DestinationRow): DestinationView {
  return {
    id: row.id,
    shopId: row.shop_id,
    name: row.name,
    kind: row.kind,
    endpoint: row.endpoint,
    hasCredentials: row.credentials_sealed !== null,
    receives: row.receives,
    options: row.options,
    cadence: row.cadence,
    sizeThreshold: row.size_threshold,
    limits: { requestsPerSecond: Number(row.requests_per_second), concurrency: row.concurrency, batchSize: row.batch_size },
    mode: row.mode,
    varianceThreshold: Number(row.variance_threshold),
    snapshotRetentionDays: row.snapshot_retention_days,
    enabled: row.enabled,
    watermark: row.watermark,
    nextRunAt: row.next_run_at,
    requestedRun: row.requested_run,
  };
}

export interface DestinationDeps {
  sql: SqlRunner;
  /** LOCKSTEP_ENCRYPTION_KEY: seals credentials and signing secrets. */
  encryptionKey: string;
  adapters: AdapterRegistry;
}

export async function createDestination(deps: DestinationDeps, shopId: string, raw: unknown): Promise<DestinationView> {
  const input = parse(destinationFields, raw);
  checkEndpoint(input.kind, input.endpoint);
  const options = parseOptions(deps.adapters, input.kind, input.options);
  checkReceives(deps.adapters, input.kind, input.receives);
  const secret = input.signingSecret ?? `whsec_${randomBytes(24).toString("base64")}`;
  const credentials = Object.keys(input.credentials).length > 0 ? sealCredential(deps.encryptionKey, JSON.stringify(input.credentials)) : null;
  const row = await insertDestination(deps.sql, {
    shopId,
    name: input.name,
    kind: input.kind,
    endpoint: input.endpoint,
    credentialsSealed: credentials,
    signingSecretSealed: sealCredential(deps.encryptionKey, secret),
    receives: input.receives,
    options,
    cadence: input.cadence,
    sizeThreshold: input.sizeThreshold,
    limits: input.limits,
    mode: input.mode,
    varianceThreshold: input.varianceThreshold,
    snapshotRetentionDays: input.snapshotRetentionDays,
    enabled: input.enabled,
  });
  if (row) return viewOf(row);
  if (!(await findShopById(deps.sql, shopId))) throw new LockstepError("unknown_shop", "No shop with this id");
  throw new LockstepError("destination_exists", `The shop already has a destination named "${input.name}"`, { field: "name" });
}

/** The schema fills defaults in; a change keeps only what the caller gave (at the top and in `limits`). */
function onlyGiven<T extends Record<string, unknown>>(parsed: T, raw: unknown): T {
  const given = (value: unknown) => new Set(value && typeof value === "object" ? Object.keys(value) : []);
  const top = given(raw);
  const limits = given((raw as { limits?: unknown } | undefined)?.limits);
  const kept = Object.fromEntries(Object.entries(parsed).filter(([key]) => top.has(key))) as Record<string, unknown>;
  if (kept.limits) kept.limits = Object.fromEntries(Object.entries(kept.limits as object).filter(([key]) => limits.has(key)));
  return kept as T;
}

/**
 * Changes settings; `mode` alone flips shadow ↔ live (to live: a full run follows). Credentials
 * given replace the stored ones.
 */
export async function updateDestination(deps: DestinationDeps, shopId: string, id: string, raw: unknown): Promise<DestinationView> {
  const current = await findRow(deps.sql, shopId, id);
  const changes = onlyGiven(parse(destinationChanges, raw), raw);
  if (changes.endpoint !== undefined) checkEndpoint(current.kind, changes.endpoint);
  const options = changes.options !== undefined ? parseOptions(deps.adapters, current.kind, changes.options) : current.options;
  if (changes.receives) checkReceives(deps.adapters, current.kind, changes.receives);
  const limits = { ...viewOf(current).limits, ...changes.limits };
  const row = await updateDestinationSettings(deps.sql, shopId, id, {
    name: changes.name ?? current.name,
    endpoint: changes.endpoint ?? current.endpoint,
    credentialsSealed: changes.credentials ? sealCredential(deps.encryptionKey, JSON.stringify(changes.credentials)) : null,
    signingSecretSealed: changes.signingSecret ? sealCredential(deps.encryptionKey, changes.signingSecret) : null,
    receives: changes.receives ?? current.receives,
    options,
    cadence: changes.cadence ?? current.cadence,
    sizeThreshold: changes.sizeThreshold === undefined ? current.size_threshold : changes.sizeThreshold,
    limits,
    mode: changes.mode ?? current.mode,
    varianceThreshold: changes.varianceThreshold ?? current.variance_threshold,
    snapshotRetentionDays: changes.snapshotRetentionDays ?? current.snapshot_retention_days,
    enabled: changes.enabled ?? current.enabled,
  });
  return viewOf(row!);
}

export async function listDestinations(sql: SqlRunner, shopId?: string): Promise<DestinationView[]> {
  return (await listDestinationRows(sql, shopId)).map(viewOf);
}

async function findRow(sql: SqlRunner, shopId: string | undefined, id: string): Promise<DestinationRow> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new LockstepError("destination_not_found", "No destination with this id");
  const row = await findDestinationRow(sql, id, shopId);
  if (!row) throw new LockstepError("destination_not_found", "No destination with this id");
  return row;
}

/** The destination with its credentials and secret opened: for the pipeline and the adapters only. */
export async function loadDestination(deps: Pick<DestinationDeps, "sql" | "encryptionKey">, id: string, shopId?: string): Promise<Destination> {
  const row = await findRow(deps.sql, shopId, id);
  const view = viewOf(row);
  const { priceList, ...options } = view.options;
  return {
    id: view.id,
    shopId: view.shopId,
    name: view.name,
    kind: view.kind,
    endpoint: view.endpoint,
    credentials: row.credentials_sealed ? (JSON.parse(openCredential(deps.encryptionKey, row.credentials_sealed)) as Record<string, string>) : {},
    receives: view.receives,
    options,
    ...(typeof priceList === "string" ? { priceList } : {}),
    cadence: view.cadence,
    sizeThreshold: view.sizeThreshold,
    limits: view.limits,
    mode: view.mode,
    signingSecret: openCredential(deps.encryptionKey, row.signing_secret_sealed),
    varianceThreshold: view.varianceThreshold,
  };
}

/** Staff asked for a run now: `sync_now` (the delta), `full` (every item), or `rollback:<run id>`. */
export async function requestRun(sql: SqlRunner, shopId: string | undefined, id: string, request: string): Promise<void> {
  if (!/^(sync_now|full|rollback:\d{1,18})$/.test(request)) throw new LockstepError("invalid_run_request", "A run request is sync_now, full or rollback:<run id>");
  await findRow(sql, shopId, id);
  if (request.startsWith("rollback:")) {
    if (!(await findRun(sql, id, request.slice("rollback:".length)))) throw new LockstepError("run_not_found", "Only a finished run of this destination can be rolled back");
  }
  await setRequestedRun(sql, id, request);
}

export async function testConnection(deps: DestinationDeps, id: string, shopId?: string) {
  const destination = await loadDestination(deps, id, shopId);
  try {
    return await deps.adapters.adapterFor(destination.kind).testConnection(destination);
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
