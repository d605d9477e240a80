// Feed snapshots in the database, so any web process serves any feed: a run writes a complete
// file set (XML + TSV) in chunks under a `building` snapshot, marks it `ready` when both files are
// whole, and one UPDATE of `feed.current_snapshot_id` publishes it. Until then (and after a failed
// or rejected build) the previous snapshot is what is served: never half a catalog.

import { createHash, type Hash } from "node:crypto";
import type { SqlRunner } from "../../db/database.server";
import { deleteSnapshotChunks } from "./sql/deleteSnapshotChunks";
import { deleteSnapshots } from "./sql/deleteSnapshots";
import { discardBuildingSnapshots } from "./sql/discardBuildingSnapshots";
import { discardSnapshot as markDiscarded } from "./sql/discardSnapshot";
import { ensureFeed } from "./sql/ensureFeed";
import { findRunSnapshot } from "./sql/findRunSnapshot";
import { findSnapshotBeforeRun } from "./sql/findSnapshotBeforeRun";
import { insertSnapshot } from "./sql/insertSnapshot";
import { insertSnapshotChunk } from "./sql/insertSnapshotChunk";
import { listPrunableSnapshots } from "./sql/listPrunableSnapshots";
import { markSnapshotReady } from "./sql/markSnapshotReady";
import { publishSnapshot as serveSnapshot } from "./sql/publishSnapshot";
import { readPublishedSnapshot } from "./sql/readPublishedSnapshot";
import { readSnapshotChunks } from "./sql/readSnapshotChunks";
import type { SnapshotRow } from "./sql/snapshotColumns";

export type FeedFormat = "xml" | "tsv";

/** Bytes per stored chunk: a chunk is one row, one INSERT while building, one read while serving. */
export const CHUNK_BYTES = 256 * 1024;

export interface SnapshotFile {
  bytes: number;
  sha256: string;
}

export interface PublishedSnapshot {
  snapshotId: string;
  destinationId: string;
  runId: string;
  items: number;
  readyAt: Date;
  publishedAt: Date;
  xml: SnapshotFile;
  tsv: SnapshotFile;
}

/** Starts the snapshot of one run attempt; snapshots an earlier attempt left building are discarded. */
export async function startSnapshot(sql: SqlRunner, destinationId: string, runId: string): Promise<string> {
  await deleteSnapshotChunks(sql, await discardBuildingSnapshots(sql, destinationId));
  const snapshotId = await insertSnapshot(sql, destinationId, runId);
  await ensureFeed(sql, destinationId);
  return snapshotId;
}

/**
 * Collects one file of a snapshot: text is appended in memory and stored a chunk at a time, so
 * memory holds at most a chunk plus the page being written, whatever the catalog size.
 */
export class ChunkWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private readonly hash: Hash = createHash("sha256");
  bytes = 0;

  constructor(
    private readonly sql: SqlRunner,
    private readonly snapshotId: string,
    readonly format: FeedFormat,
  ) {}

  write(text: string): void {
    this.pending.push(text);
    this.pendingBytes += Buffer.byteLength(text);
  }

  /** Stores full chunks (call after each page); `final` stores the rest too. */
  async flush(final = false): Promise<void> {
    if (this.pendingBytes < CHUNK_BYTES && !(final && this.pendingBytes > 0)) return;
    const data = Buffer.from(this.pending.join(""));
    this.pending = [];
    this.pendingBytes = 0;
    let offset = 0;
    while (data.length - offset >= CHUNK_BYTES || (final && offset < data.length)) {
      const piece = data.subarray(offset, Math.min(offset + CHUNK_BYTES, data.length));
      await this.store(piece);
      offset += piece.length;
    }
    if (offset < data.length) {
      const rest = data.subarray(offset);
      this.pending = [rest.toString()];
      this.pendingBytes = rest.length;
    }
  }

  private async store(piece: Buffer): Promise<void> {
    this.hash.update(piece);
    this.bytes += piece.length;
    await insertSnapshotChunk(this.sql, { snapshotId: this.snapshotId, format: this.format, seq: this.seq++, data: piece });
  }

  async finish(): Promise<SnapshotFile> {
    await this.flush(true);
    return { bytes: this.bytes, sha256: this.hash.digest("hex") };
  }
}

/** Both files are whole: the snapshot can be published (it is not served yet). */
export async function markReady(sql: SqlRunner, snapshotId: string, result: { items: number; xml: SnapshotFile; tsv: SnapshotFile }, at: Date): Promise<void> {
  await markSnapshotReady(sql, snapshotId, result, at);
}

export async function discardSnapshot(sql: SqlRunner, snapshotId: string): Promise<void> {
  await markDiscarded(sql, snapshotId);
  await deleteSnapshotChunks(sql, [snapshotId]);
}

/** The ready snapshot a run built (its last attempt's), if any. */
export async function snapshotOfRun(sql: SqlRunner, destinationId: string, runId: string): Promise<{ id: string; items: number; xml: SnapshotFile; tsv: SnapshotFile } | undefined> {
  const row = await findRunSnapshot(sql, destinationId, runId);
  return row && { id: row.id, items: row.items, xml: fileOf(row, "xml"), tsv: fileOf(row, "tsv") };
}

/** The snapshot that was published last before run `runId` (what rolling that run back returns to). */
export async function snapshotBeforeRun(sql: SqlRunner, destinationId: string, runId: string): Promise<{ id: string; items: number; xml: SnapshotFile; tsv: SnapshotFile } | undefined> {
  const row = await findSnapshotBeforeRun(sql, destinationId, runId);
  return row && { id: row.id, items: row.items, xml: fileOf(row, "xml"), tsv: fileOf(row, "tsv") };
}

/** Serves `snapshotId` from now on: one statement, so a fetch sees the old or the new snapshot, never a mix. */
export async function publishSnapshot(sql: SqlRunner, destinationId: string, snapshotId: string, at: Date): Promise<void> {
  if ((await serveSnapshot(sql, destinationId, snapshotId, at)) !== snapshotId) throw new Error(`snapshot ${snapshotId} is not complete: not published`);
}

/** Deletes snapshots beyond the newest `keep` published or ready ones (the served one always stays). */
export async function pruneFeedSnapshots(sql: SqlRunner, destinationId: string, keep: number): Promise<void> {
  const ids = await listPrunableSnapshots(sql, destinationId, keep);
  await deleteSnapshotChunks(sql, ids);
  await deleteSnapshots(sql, ids);
}

/** The snapshot a feed serves now, or undefined before its first publish. */
export async function publishedSnapshot(sql: SqlRunner, destinationId: string): Promise<PublishedSnapshot | undefined> {
  const row = await readPublishedSnapshot(sql, destinationId);
  if (!row) return undefined;
  return {
    snapshotId: row.id,
    destinationId,
    runId: row.run_id,
    items: row.items,
    readyAt: new Date(row.ready_at!),
    publishedAt: new Date(row.published_at),
    xml: fileOf(row, "xml"),
    tsv: fileOf(row, "tsv"),
  };
}

/** A stored file's chunks in order, a few at a time (memory: those chunks). */
export async function* snapshotChunks(sql: SqlRunner, snapshotId: string, format: FeedFormat, perRead = 8): AsyncGenerator<Buffer> {
  let after = -1;
  for (;;) {
    const rows = await readSnapshotChunks(sql, snapshotId, format, after, perRead);
    for (const row of rows) yield Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
    if (rows.length < perRead) return;
    after = rows[rows.length - 1]!.seq;
  }
}

function fileOf(row: SnapshotRow, format: FeedFormat): SnapshotFile {
  return format === "xml" ? { bytes: Number(row.xml_bytes), sha256: row.xml_sha256 ?? "" } : { bytes: Number(row.tsv_bytes), sha256: row.tsv_sha256 ?? "" };
}
