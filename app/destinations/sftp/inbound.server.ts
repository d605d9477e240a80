import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import posix from "node:path/posix";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import type SftpClient from "ssh2-sftp-client";
import { z } from "zod";
import { type FileColumn, type FileRow } from "../../batching/files/columns";
import { writeCsv } from "../../batching/files/csv";
import type { Sql } from "../../db/database.server";
import { applyEvents } from "../../webhooks/consumers.server";
import type { DomainEvent } from "../../events/domainEvents";
import { loadDestination } from "../../batching/destinations.server";
import { nextTick } from "../../batching/cadence";
import { startTicker } from "../../batching/ticker";
import { claimPipelineLease, extendPipelineLease, releasePipelineLease } from "../../batching/sql/pipelineLease";
import { LockstepError } from "../../config/errors";
import { log } from "../../observability/log.server";
import type { LimiterRegistry } from "../../outbound/limiterRegistry.server";
import { parseOptions } from "./adapter.server";
import { type SftpOutbound, type SftpTarget, sftpTarget, withSftp } from "./connection.server";
import { listInboundDestinations } from "./sql/listInboundDestinations";
import { readHeldStock } from "./sql/readHeldStock";
import { readRemote, uploadAtomically } from "./upload.server";

// The ERP's stock and price snapshot (documented in app/destinations/sftp/README.md):
//   <name>.csv                with the header  sku,location,on_hand,price
//   <name>.csv.manifest.json  {"file": "<name>.csv", "rows": <data rows>, "sha256": "<hex>", "asOf": "<ISO time>"}
// The sidecar is written after the data file, so its presence means the data file is complete.

const SIDECAR = ".manifest.json";
const HEADER = ["sku", "location", "on_hand", "price"];
const PAGE = 1_000;

const sidecarSchema = z.object({
  file: z.string().regex(/^[A-Za-z0-9._-]+\.csv$/),
  rows: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  asOf: z.iso.datetime({ offset: true }),
});

interface SnapshotRow {
  sku: string;
  location: string;
  onHand: number | null;
  price: string | null;
}

export type RowOutcome = "applied" | "unchanged" | "newer_in_lockstep" | "unknown_sku" | "unknown_location" | "not_in_file";

/** One line of the variance report: what the file said, what Lockstep held, what became of it. */
export const varianceColumns: FileColumn[] = [
  { name: "sku", type: "STRING" },
  { name: "location", type: "STRING" },
  { name: "file_on_hand", type: "INT32", nullable: true },
  { name: "held_on_hand", type: "INT32", nullable: true },
  { name: "stock", type: "STRING" },
  { name: "file_price", type: "STRING", nullable: true },
  { name: "held_price", type: "STRING", nullable: true },
  { name: "price", type: "STRING" },
];

export interface SnapshotReport {
  file: string;
  status: "applied" | "refused";
  /** Why the whole file was refused (nothing applied). */
  reason?: string;
  rows: number;
  /** Rows by what became of their stock and of their price. */
  stock: Partial<Record<RowOutcome, number>>;
  price: Partial<Record<RowOutcome, number>>;
  /** Where the per-row variance report went on the server. */
  varianceFile?: string;
}

export interface InboundSnapshotSource {
  shopId: string;
  /** The ERP's drop directory; applied files move to `processed/`, refused ones to `rejected/`. */
  target: SftpTarget;
  /** Sessions go through app/outbound (limiter `inbound:<shop>`, its breaker) when given; processes always give it. */
  registry?: LimiterRegistry;
  /** Sessions at once and session opens per second for the drop (default 1 and 1). */
  limits?: { concurrency: number; requestsPerSecond: number };
}

export interface PullOptions {
  /** This process's name on the pull's lease. */
  owner?: string;
  /** How long the lease lasts without renewal (renewed every third of it while the pull goes on). */
  leaseMs?: number;
}

/** One lease per drop: two processes never pull the same drop at once. */
export function pullLeaseName(source: InboundSnapshotSource): string {
  return `inbound:${source.shopId}:${source.target.host}:${source.target.port}${source.target.directory}`;
}

function outboundOf(source: InboundSnapshotSource): SftpOutbound | undefined {
  if (!source.registry) return undefined;
  return { registry: source.registry, id: `inbound:${source.shopId}`, ...(source.limits ?? { concurrency: 1, requestsPerSecond: 1 }) };
}

class RefusedFile extends Error {}

/**
 * Pulls every complete snapshot the ERP left (oldest first) and applies each whole or not at all:
 * its bytes must match the sidecar's SHA-256 and its data rows the sidecar's count, and every row
 * must parse, before anything is written. Applied through the webhook consumers (forward-only: a
 * level or price Lockstep holds from a change newer than the snapshot's `asOf` stays), with the
 * changes captured for the delayed half in the same transaction. A variance report per row is left
 * next to the processed file.
 */
export async function pullErpSnapshots(sql: Sql, source: InboundSnapshotSource, options: PullOptions = {}): Promise<SnapshotReport[]> {
  const { target } = source;
  // Leased like destination runs: another process pulling this drop now means there is nothing to do here.
  const lease = pullLeaseName(source);
  const owner = options.owner ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 60_000;
  if (!(await claimPipelineLease(sql, lease, owner, leaseMs))) return [];
  const renew = setInterval(() => {
    extendPipelineLease(sql, lease, owner, leaseMs).then(
      (kept) => {
        if (!kept) log.warn("inbound snapshot pull lost its lease", { lease });
      },
      (error: unknown) => log.warn("inbound snapshot lease renewal failed", { lease, error }),
    );
  }, leaseMs / 3);
  try {
    return await withSftp(
      target,
      async (client) => {
        const names = (await client.list(target.directory)).filter((entry) => entry.type === "-").map((entry) => entry.name);
        const sidecars = names.filter((name) => name.endsWith(SIDECAR)).sort();
        const reports: SnapshotReport[] = [];
        for (const sidecar of sidecars) reports.push(await pullOne(sql, source, client, sidecar));
        return reports;
      },
      outboundOf(source),
    );
  } finally {
    clearInterval(renew);
    await releasePipelineLease(sql, lease, owner);
  }
}

async function pullOne(sql: Sql, source: InboundSnapshotSource, client: SftpClient, sidecarName: string): Promise<SnapshotReport> {
  const { directory } = source.target;
  const dataName = sidecarName.slice(0, -SIDECAR.length);
  const local = await mkdtemp(path.join(os.tmpdir(), "lockstep-inbound-"));
  try {
    let sidecar: z.infer<typeof sidecarSchema>;
    let rows: number;
    try {
      sidecar = parseSidecar(String(await client.get(posix.join(directory, sidecarName))), dataName);
      const localFile = path.join(local, "snapshot.csv");
      const { bytes, sha256 } = await download(client, posix.join(directory, dataName), localFile);
      if (sha256 !== sidecar.sha256) throw new RefusedFile(`SHA-256 of ${dataName} is ${sha256} (${bytes} bytes), the manifest says ${sidecar.sha256}`);
      rows = 0;
      for await (const page of snapshotPages(localFile)) rows += page.length;
      if (rows !== sidecar.rows) throw new RefusedFile(`${dataName} has ${rows} rows, the manifest says ${sidecar.rows}`);
    } catch (error) {
      if (!(error instanceof RefusedFile)) throw error;
      await moveAside(client, directory, "rejected", [dataName, sidecarName], error.message);
      return { file: dataName, status: "refused", reason: error.message, rows: 0, stock: {}, price: {} };
    }

    const report: SnapshotReport = { file: dataName, status: "applied", rows, stock: {}, price: {} };
    const variance = new PassThrough({ objectMode: true });
    const varianceFile = path.join(local, "variance.csv");
    const varianceWritten = writeCsv(variance, varianceColumns, createWriteStream(varianceFile));
    const asOf = new Date(sidecar.asOf);
    try {
      await sql.transaction(async (tx) => {
        for await (const page of snapshotPages(path.join(local, "snapshot.csv"))) {
          const held = new Map((await readHeldStock(tx, source.shopId, page)).map((row) => [`${row.sku}\n${row.location}`, row]));
          const events: DomainEvent[] = [];
          const pricedSkus = new Set<string>();
          for (const row of page) {
            const current = held.get(`${row.sku}\n${row.location}`)!;
            const stock = stockOutcome(row, current, asOf);
            const price = priceOutcome(row, current, asOf);
            if (stock === "applied") {
              events.push({ type: "InventoryLevelChanged", shopId: source.shopId, occurredAt: asOf, inventoryItemExternalId: current.inventoryItemExternalId!, locationExternalId: row.location, onHand: row.onHand!, sku: row.sku });
            }
            if (price === "applied" && !pricedSkus.has(row.sku)) {
              pricedSkus.add(row.sku);
              events.push({ type: "VariantPriceChanged", shopId: source.shopId, occurredAt: asOf, productExternalId: current.productExternalId!, variantExternalId: current.variantExternalId!, price: row.price! });
            }
            report.stock[stock] = (report.stock[stock] ?? 0) + 1;
            report.price[price] = (report.price[price] ?? 0) + 1;
            const line: FileRow = { sku: row.sku, location: row.location, file_on_hand: row.onHand, held_on_hand: current.onHand, stock, file_price: row.price, held_price: current.price, price };
            if (!variance.write(line)) await new Promise((resolve) => variance.once("drain", resolve));
          }
          if (events.length > 0) await applyEvents(tx, events.map((event) => ({ event, inboxId: `inbound-file:${dataName}` })), "inbound_file");
        }
      });
    } catch (error) {
      variance.destroy(error as Error);
      await varianceWritten.catch(() => undefined);
      throw error;
    }
    variance.end();
    const varianceResult = await varianceWritten;
    const varianceName = `${dataName}.variance.csv`;
    await client.mkdir(posix.join(directory, "processed"), true);
    await uploadAtomically(client, posix.join(directory, "processed"), varianceName, async (sink) => {
      await pipeline(createReadStream(varianceFile), sink);
      return varianceResult;
    });
    await moveAside(client, directory, "processed", [dataName, sidecarName]);
    return { ...report, varianceFile: posix.join(directory, "processed", varianceName) };
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}

function stockOutcome(row: SnapshotRow, held: Awaited<ReturnType<typeof readHeldStock>>[number], asOf: Date): RowOutcome {
  if (row.onHand === null) return "not_in_file";
  if (!held.variantExternalId || !held.inventoryItemExternalId) return "unknown_sku";
  // The ERP's location codes must be the platform's location ids; an unknown one is reported, never created.
  if (!held.locationKnown) return "unknown_location";
  if (held.stockVersion && held.stockVersion > asOf) return "newer_in_lockstep";
  return held.onHand === row.onHand ? "unchanged" : "applied";
}

function priceOutcome(row: SnapshotRow, held: Awaited<ReturnType<typeof readHeldStock>>[number], asOf: Date): RowOutcome {
  if (row.price === null) return "not_in_file";
  if (!held.variantExternalId) return "unknown_sku";
  if (held.priceVersion && held.priceVersion > asOf) return "newer_in_lockstep";
  return held.price !== null && Number(held.price) === Number(row.price) ? "unchanged" : "applied";
}

function parseSidecar(text: string, dataName: string): z.infer<typeof sidecarSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RefusedFile(`the manifest of ${dataName} is not JSON`);
  }
  const parsed = sidecarSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RefusedFile(`the manifest of ${dataName}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  if (parsed.data.file !== dataName) throw new RefusedFile(`the manifest names ${parsed.data.file}, not ${dataName}`);
  return parsed.data;
}

async function download(client: SftpClient, remotePath: string, localPath: string): Promise<{ bytes: number; sha256: string }> {
  const names = await client.list(posix.dirname(remotePath));
  if (!names.some((entry) => entry.name === posix.basename(remotePath))) throw new RefusedFile(`${posix.basename(remotePath)} is missing (its manifest is there)`);
  await pipeline(Readable.from(readRemote(client, remotePath)), createWriteStream(localPath));
  return hashLocal(localPath);
}

async function hashLocal(localPath: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(localPath) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** The file's rows, checked, a page at a time; any bad row refuses the whole file. */
async function* snapshotPages(localPath: string): AsyncGenerator<SnapshotRow[]> {
  const parser = createReadStream(localPath).pipe(parse({ columns: (header: string[]) => checkHeader(header), relax_column_count: false, trim: true }));
  let page: SnapshotRow[] = [];
  const prices = new Map<string, string>();
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      line++;
      page.push(checkRow(record, line, prices));
      if (page.length >= PAGE) {
        yield page;
        page = [];
      }
    }
  } catch (error) {
    if (error instanceof RefusedFile) throw error;
    throw new RefusedFile(`not a valid CSV: ${(error as Error).message}`);
  }
  if (page.length > 0) yield page;
}

function checkHeader(header: string[]): string[] {
  if (header.join(",") !== HEADER.join(",")) throw new RefusedFile(`the header is ${header.join(",")}, expected ${HEADER.join(",")}`);
  return header;
}

function checkRow(record: Record<string, string>, line: number, prices: Map<string, string>): SnapshotRow {
  const sku = record.sku ?? "";
  const location = record.location ?? "";
  if (sku === "") throw new RefusedFile(`line ${line}: sku is empty`);
  if (record.on_hand !== "" && !/^\d{1,9}$/.test(record.on_hand ?? "")) throw new RefusedFile(`line ${line}: on_hand ${JSON.stringify(record.on_hand)} is not a whole number of units`);
  if (record.on_hand !== "" && location === "") throw new RefusedFile(`line ${line}: on_hand without a location`);
  if (record.price !== "" && !/^\d{1,10}(\.\d{1,4})?$/.test(record.price ?? "")) throw new RefusedFile(`line ${line}: price ${JSON.stringify(record.price)} is not a decimal amount`);
  // Price is per SKU: the same SKU at two locations must not say two prices.
  if (record.price !== "") {
    const earlier = prices.get(sku);
    if (earlier !== undefined && Number(earlier) !== Number(record.price)) throw new RefusedFile(`line ${line}: ${sku} costs ${record.price} here and ${earlier} on an earlier line`);
    prices.set(sku, record.price!);
  }
  return { sku, location, onHand: record.on_hand === "" ? null : Number(record.on_hand), price: record.price === "" ? null : record.price! };
}

async function moveAside(client: SftpClient, directory: string, folder: "processed" | "rejected", names: string[], reason?: string): Promise<void> {
  const into = posix.join(directory, folder);
  await client.mkdir(into, true);
  if (reason) await client.put(Buffer.from(`${reason}\n`), posix.join(into, `${names[0]}.reason.txt`));
  const present = new Set((await client.list(directory)).map((entry) => entry.name));
  for (const name of names) if (present.has(name)) await client.posixRename(posix.join(directory, name), posix.join(into, name));
}

export interface InboundPullDeps {
  sql: Sql;
  encryptionKey: string;
  /** This process's name on the leases it takes. */
  owner: string;
  /** Sessions go through app/outbound (every process gives its registry). */
  registry?: LimiterRegistry;
  now?: () => Date;
}

/** The lease that says a destination's drop was pulled for the current tick of its cadence: held until the next tick. */
export function inboundTickLeaseName(destinationId: string): string {
  return `inbound-tick:${destinationId}`;
}

/**
 * One pass of the scheduled pulls: every enabled files destination with `options.inbound` whose
 * cadence came (its tick lease ran out) is pulled once. The tick lease is taken until the cadence's
 * next tick, so across processes one pulls a tick and the others skip it; missed ticks after
 * downtime are one pull. A pull that fails (drop unreachable, circuit open) is logged and tried
 * again at the next tick; a destination whose options cannot be pulled is logged and skipped.
 */
export async function pullDueInboundSnapshots(deps: InboundPullDeps): Promise<Array<{ destinationId: string; reports?: SnapshotReport[]; error?: string }>> {
  const now = deps.now ?? (() => new Date());
  const pulled: Array<{ destinationId: string; reports?: SnapshotReport[]; error?: string }> = [];
  for (const id of await listInboundDestinations(deps.sql)) {
    let source: InboundSnapshotSource;
    let cadence: string;
    try {
      const destination = await loadDestination(deps, id);
      const options = parseOptions(destination.options);
      const outbound = sftpTarget(destination.endpoint, destination.credentials);
      if (options.inbound!.directory.replace(/\/+$/, "") === outbound.directory) {
        throw new LockstepError("invalid_options", "options.inbound.directory: must not be the directory Lockstep writes its files to");
      }
      source = { shopId: destination.shopId, target: { ...outbound, directory: options.inbound!.directory.replace(/\/+$/, "") || "/" }, registry: deps.registry };
      cadence = options.inbound!.cadence ?? destination.cadence;
    } catch (error) {
      log.warn("inbound snapshot pull skipped: the destination cannot be pulled", { destinationId: id, error });
      pulled.push({ destinationId: id, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const at = now();
    if (!(await claimPipelineLease(deps.sql, inboundTickLeaseName(id), deps.owner, Math.max(1, nextTick(cadence, at).getTime() - at.getTime())))) continue;
    try {
      const reports = await pullErpSnapshots(deps.sql, source, { owner: deps.owner });
      if (reports.length > 0) log.info("inbound snapshots pulled", { destinationId: id, reports });
      pulled.push({ destinationId: id, reports });
    } catch (error) {
      log.warn("inbound snapshot pull failed: tried again at the next tick", { destinationId: id, error });
      pulled.push({ destinationId: id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return pulled;
}

/**
 * Every process's background work ticks the inbound pulls (a pass at a time, never two at once
 * here; tick leases and drop leases keep processes apart). Resolves the stop once the pass ended.
 */
export function startInboundSnapshotPulls(deps: InboundPullDeps, options: { tickMs?: number } = {}): () => Promise<void> {
  return startTicker(() => pullDueInboundSnapshots(deps), { everyMs: options.tickMs ?? 15_000, failure: "inbound snapshot pulls failed" });
}
