import { createHash, randomBytes } from "node:crypto";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { isCron } from "../../batching/cadence";
import { type FileColumn, type FileRow } from "../../batching/files/columns";
import { writeCsv } from "../../batching/files/csv";
import { writeParquet } from "../../batching/files/parquet";
import { canonicalJson } from "../../batching/manifest";
import type {
  Destination,
  DestinationAdapter,
  ItemKind,
  ItemResult,
  ItemState,
  PublishRun,
  PushedItem,
  ReadBackItem,
} from "../../batching/types";
import { LockstepError } from "../../config/errors";
import type { CircuitBreakerSettings } from "../../outbound/circuitBreaker";
import type { Clock } from "../../config/clock";
import type { LimiterRegistry } from "../../outbound/limiterRegistry.server";
import {
  type SftpOutbound,
  type SftpTarget,
  sftpTarget,
  withSftp,
} from "./connection.server";
import { dropReadBack } from "./readBack.server";
import { removeStaleTemporaryFiles, uploadAtomically } from "./upload.server";

const optionsSchema = z.object({
  format: z.enum(["csv", "parquet"]).default("csv"),
  /** Rows per file: NetSuite's CSV import takes at most 25,000 records per job. */
  rowsPerFile: z.number().int().min(1).max(1_000_000).default(25_000),
  /** Put before every file name, e.g. `lockstep-`; letters, digits, `-`, `_`, `.` only. */
  filePrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,40}$/)
    .default(""),
  /**
   * The ERP also leaves stock and price snapshots for Lockstep (inbound.server.ts): its drop
   * directory on the same server (absolute, not the directory Lockstep writes to) and the cadence
   * of the pull (cron, UTC; the destination's cadence when absent).
   */
  inbound: z
    .object({
      directory: z.string().regex(/^\/[A-Za-z0-9._/-]*$/, "must be an absolute path of letters, digits, ., _, - and /"),
      cadence: z
        .string()
        .refine(isCron, "is not a cron expression")
        .optional(),
    })
    .strict()
    .optional(),
});
export type SftpFileOptions = z.infer<typeof optionsSchema>;

/** The columns of each kind's file, in order; prices stay decimal strings in both formats. */
export const fileColumns: Record<ItemKind, FileColumn[]> = {
  catalog: [
    { name: "sku", type: "STRING" },
    { name: "product_id", type: "STRING" },
    { name: "variant_id", type: "STRING" },
    { name: "product_title", type: "STRING" },
    { name: "title", type: "STRING" },
    { name: "status", type: "STRING" },
    { name: "price", type: "STRING" },
    { name: "currency", type: "STRING" },
    { name: "gtin", type: "STRING", nullable: true },
    { name: "brand", type: "STRING", nullable: true },
    { name: "mpn", type: "STRING", nullable: true },
    { name: "version", type: "STRING" },
  ],
  price: [
    { name: "sku", type: "STRING" },
    { name: "price", type: "STRING" },
    { name: "currency", type: "STRING" },
    { name: "version", type: "STRING" },
  ],
  stock: [
    { name: "sku", type: "STRING" },
    { name: "available", type: "INT32" },
    { name: "version", type: "STRING" },
  ],
};

/**
 * One file row of an item: what the receiver keeps, plus the version it reflects. Built as one
 * literal per kind (a spread of `stateOf` per row was the bench's busiest function of ours).
 */
export function fileRowOf(item: PushedItem): FileRow {
  switch (item.kind) {
    case "catalog":
      return { ...stateOf(item), version: item.version };
    case "price":
      return { sku: item.sku, price: item.price, currency: item.currency, version: item.version };
    case "stock":
      return { sku: item.sku, available: item.available, version: item.version };
  }
}

function stateOf(item: PushedItem): ItemState {
  switch (item.kind) {
    case "catalog":
      return {
        sku: item.sku,
        product_id: item.productExternalId,
        variant_id: item.variantExternalId,
        product_title: item.productTitle,
        title: item.title,
        status: item.status,
        price: item.price,
        currency: item.currency,
        gtin: item.gtin ?? null,
        brand: item.brand ?? null,
        mpn: item.mpn ?? null,
      };
    case "price":
      return { sku: item.sku, price: item.price, currency: item.currency };
    case "stock":
      return { sku: item.sku, available: item.available };
  }
}

function validate(item: PushedItem): string[] {
  const reasons: string[] = [];
  if (!item.sku || item.sku.startsWith("#"))
    reasons.push("the variant has no SKU (the receiver keys files by SKU)");
  if (
    item.kind === "catalog" &&
    !item.title.trim() &&
    !item.productTitle.trim()
  )
    reasons.push("title is missing");
  if (item.kind !== "stock" && !/^\d+(\.\d+)?$/.test(item.price))
    reasons.push(`price ${JSON.stringify(item.price)} is not a decimal amount`);
  if (item.kind !== "stock" && !/^[A-Z]{3}$/.test(item.currency))
    reasons.push("currency is missing (ISO 4217 code)");
  if (item.kind === "stock" && !Number.isInteger(item.available))
    reasons.push("available is not a whole number");
  return reasons;
}

export function fileName(
  options: SftpFileOptions,
  run: PublishRun,
  part: number
): string {
  return `${options.filePrefix}${run.kind}-run${run.runId}-a${run.attempt}-p${part}.${options.format}`;
}

export function manifestName(options: SftpFileOptions, runId: string): string {
  return `${options.filePrefix}run${runId}.manifest.json`;
}

function targetOf(destination: Destination): {
  target: SftpTarget;
  options: SftpFileOptions;
} {
  return {
    target: sftpTarget(destination.endpoint, destination.credentials),
    options: parseOptions(destination.options),
  };
}

/** A files destination's options, checked (the inbound pull reads `inbound`). */
export function parseOptions(raw: unknown): SftpFileOptions {
  const parsed = optionsSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new LockstepError(
    "invalid_options",
    `options.${issue.path.join(".") || "?"}: ${issue.message}`
  );
}

/** The file rows of a page of items (`fileRowOf` each): the writers take a page per `await`. */
export function fileRowsOf(items: readonly PushedItem[]): FileRow[] {
  return items.map(fileRowOf);
}

/**
 * Pulls the rows of one file out of the run's pages, a page at a time: at most `rowsPerFile`,
 * remembering their SKUs so each gets its result once the file is renamed into place (memory: one
 * file's SKUs). A page that crosses the file's end is cut there; its rest (and whatever page
 * follows, so no file is started empty) is left in `next` for the next file. A lost lease stops
 * the file at its next page or its end: the upload fails and nothing lands under a final name.
 */
function filePart(
  pages: AsyncIterator<PushedItem[]>,
  first: PushedItem[],
  rowsPerFile: number,
  skus: string[],
  signal: AbortSignal
): AsyncIterable<FileRow[]> & { next?: PushedItem[] } {
  const part: AsyncIterable<FileRow[]> & { next?: PushedItem[] } = {
    async *[Symbol.asyncIterator]() {
      let page: PushedItem[] | undefined = first;
      while (page) {
        signal.throwIfAborted();
        const room = rowsPerFile - skus.length;
        const taken = page.length > room ? page.slice(0, room) : page;
        for (const item of taken) skus.push(item.sku);
        yield fileRowsOf(taken);
        if (page.length > room) {
          part.next = page.slice(room);
          break;
        }
        const following = await nextPage(pages);
        if (skus.length >= rowsPerFile) {
          part.next = following;
          break;
        }
        page = following;
      }
      // Once more after the last page: the writer finishes the file only after this, so a lease lost meanwhile fails it too.
      signal.throwIfAborted();
    },
  };
  return part;
}

/** The next page that holds items, or undefined when the pages are done. */
async function nextPage(pages: AsyncIterator<PushedItem[]>): Promise<PushedItem[] | undefined> {
  for (;;) {
    const following = await pages.next();
    if (following.done) return undefined;
    if (following.value.length > 0) return following.value;
  }
}

const readDrop = dropReadBack((kind) => fileColumns[kind]);

/**
 * Files over SFTP: each run's items of a kind become CSV or Parquet files of at most `rowsPerFile`
 * rows, each uploaded atomically (temporary name, checksum verified, rename); the signed manifest
 * goes last, so a receiver that waits for the manifest sees every file of the run whole. With a
 * registry every session goes through app/outbound (the destination's limiter and breaker).
 */
export function sftpFilesAdapterWith(
  deps: {
    registry?: LimiterRegistry;
    clock?: Clock;
    breaker?: Partial<CircuitBreakerSettings>;
  } = {}
): DestinationAdapter {
  const outboundOf = (destination: Destination): SftpOutbound | undefined =>
    deps.registry
      ? {
          registry: deps.registry,
          id: destination.id,
          concurrency: destination.limits.concurrency,
          requestsPerSecond: destination.limits.requestsPerSecond,
          clock: deps.clock,
          breaker: deps.breaker,
        }
      : undefined;
  return {
    kind: "sftp_files",
    delivery: "delta",
    // A file is written a page at a time whatever the page's size: pages of 2,500 make a 100,000-item run 40 reads
    // instead of 1,000. Not larger: three pages are held at once (two read while one is written), and pages of
    // 5,000 kept so many rows alive that the client's young-generation GC cost ~20 % more CPU (BENCHMARKS.md, batching).
    readPageSize: 2_500,
    parseOptions,
    validate,
    stateOf,

    async publish(run, pages) {
      const { target, options } = targetOf(run.destination);
      const columns = fileColumns[run.kind];
      const write = (rows: AsyncIterable<FileRow[]>) => (sink: Writable) =>
        options.format === "csv"
          ? writeCsv(rows, columns, sink)
          : writeParquet(rows, columns, sink);
      return withSftp(
        target,
        async (client) => {
          await removeStaleTemporaryFiles(client, target.directory);
          const files = [];
          const remaining = pages[Symbol.asyncIterator]();
          let next = await nextPage(remaining);
          for (let part = 1; next; part++) {
            const name = fileName(options, run, part);
            const skus: string[] = [];
            const rows = filePart(remaining, next, options.rowsPerFile, skus, run.signal);
            // Every item of one file shares its fate: on the server (accepted) or not (to_retry).
            const fileItems = (of: string[], result: Pick<ItemResult, "outcome" | "reason">) =>
              of.map((sku): ItemResult => ({ kind: run.kind, sku, ...result, batchId: name }));
            try {
              const written = await uploadAtomically(
                client,
                target.directory,
                name,
                write(rows)
              );
              files.push({ name, ...written });
            } catch (error) {
              // This file is not on the server: its items go again on the next attempt, the rest were not read.
              await run.report(fileItems(skus, { outcome: "to_retry", reason: (error as Error).message }));
              throw error;
            }
            await run.report(fileItems(skus, { outcome: "accepted" }));
            next = rows.next;
          }
          return { files };
        },
        outboundOf(run.destination)
      );
    },

    async publishManifest(run, signed) {
      const { target, options } = targetOf(run.destination);
      const body = Buffer.from(canonicalJson(signed));
      await withSftp(
        target,
        (client) =>
          uploadAtomically(
            client,
            target.directory,
            manifestName(options, signed.manifest.runId),
            async (sink) => {
              await pipeline(Readable.from([body]), sink);
              return {
                rows: 1,
                bytes: body.length,
                sha256: createHash("sha256").update(body).digest("hex"),
              };
            }
          ),
        outboundOf(run.destination)
      );
    },

    async readBack(destination, kind, skus): Promise<ReadBackItem[]> {
      const { target, options } = targetOf(destination);
      return readDrop(
        destination,
        target,
        options.filePrefix,
        kind,
        skus,
        outboundOf(destination)
      );
    },

    async testConnection(destination) {
      try {
        const { target } = targetOf(destination);
        return await withSftp(
          target,
          async (client) => {
            const probe = `.lockstep-connection-test.${randomBytes(6).toString(
              "hex"
            )}.part`;
            await client.put(
              Buffer.from("ok\n"),
              `${target.directory}/${probe}`
            );
            await client.delete(`${target.directory}/${probe}`);
            return {
              ok: true,
              message: `logged in to ${target.host}:${target.port} as ${target.username}; ${target.directory} is writable`,
            };
          },
          outboundOf(destination)
        );
      } catch (error) {
        return { ok: false, message: (error as Error).message };
      }
    },
  };
}

/** Without a registry (benchmarks, tools): sessions open directly. Processes use `sftpFilesAdapterWith({ registry })`. */
export const sftpFilesAdapter = sftpFilesAdapterWith();
