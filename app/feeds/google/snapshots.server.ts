// Feed snapshots in the database, so any web process serves any feed: a run writes a complete
// file set (XML + TSV) in chunks under a `building` snapshot, marks it `ready` when both files are
// whole, and one UPDATE of `feed.current_snapshot_id` publishes it. Until then (and after a failed
// or rejected build) the previous snapshot is what is served: never half a catalog.

import { createHash, type Hash } from "node:crypto";
import type { SqlRunner } from "../../db/database.server";

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
  await discardBuilding(sql, destinationId);
  const [row] = await sql.query<{ id: string }>(`INSERT INTO feed_snapshot (destination_id, run_id) VALUES ($1, $2::bigint) RETURNING id::text`, [destinationId, runId]);
  await sql.query(`INSERT INTO feed (destination_id) VALUES ($1) ON CONFLICT (destination_id) DO NOTHING`, [destinationId]);
  return row!.id;
}

async function discardBuilding(sql: SqlRunner, destinationId: string): Promise<void> {
  const stale = await sql.query<{ id: string }>(`UPDATE feed_snapshot SET status = 'discarded' WHERE destination_id = $1 AND status = 'building' RETURNING id::text`, [destinationId]);
  if (stale.length > 0) await sql.query(`DELETE FROM feed_snapshot_chunk WHERE snapshot_id = ANY($1::bigint[])`, [stale.map((row) => row.id)]);
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
    await this.sql.query(`INSERT INTO feed_snapshot_chunk (snapshot_id, format, seq, data) VALUES ($1::bigint, $2, $3, $4)`, [this.snapshotId, this.format, this.seq++, piece]);
  }

  async finish(): Promise<SnapshotFile> {
    await this.flush(true);
    return { bytes: this.bytes, sha256: this.hash.digest("hex") };
  }
}

/** Both files are whole: the snapshot can be published (it is not served yet). */
export async function markReady(sql: SqlRunner, snapshotId: string, result: { items: number; xml: SnapshotFile; tsv: SnapshotFile }, at: Date): Promise<void> {
  await sql.query(
    `UPDATE feed_snapshot SET status = 'ready', items = $2, xml_bytes = $3, xml_sha256 = $4, tsv_bytes = $5, tsv_sha256 = $6, ready_at = $7 WHERE id = $1::bigint AND status = 'building'`,
    [snapshotId, result.items, result.xml.bytes, result.xml.sha256, result.tsv.bytes, result.tsv.sha256, at.toISOString()],
  );
}

export async function discardSnapshot(sql: SqlRunner, snapshotId: string): Promise<void> {
  await sql.query(`UPDATE feed_snapshot SET status = 'discarded' WHERE id = $1::bigint AND status IN ('building', 'ready')`, [snapshotId]);
  await sql.query(`DELETE FROM feed_snapshot_chunk WHERE snapshot_id = $1::bigint`, [snapshotId]);
}

/** The ready snapshot a run built (its last attempt's), if any. */
export async function snapshotOfRun(sql: SqlRunner, destinationId: string, runId: string): Promise<{ id: string; items: number; xml: SnapshotFile; tsv: SnapshotFile } | undefined> {
  const rows = await sql.query<SnapshotRow>(
    `SELECT ${SNAPSHOT_COLUMNS} FROM feed_snapshot WHERE destination_id = $1 AND run_id = $2::bigint AND status IN ('ready', 'published') ORDER BY id DESC LIMIT 1`,
    [destinationId, runId],
  );
  return rows[0] && { id: rows[0].id, items: rows[0].items, xml: fileOf(rows[0], "xml"), tsv: fileOf(rows[0], "tsv") };
}

/** The snapshot that was published last before run `runId` (what rolling that run back returns to). */
export async function snapshotBeforeRun(sql: SqlRunner, destinationId: string, runId: string): Promise<{ id: string; items: number; xml: SnapshotFile; tsv: SnapshotFile } | undefined> {
  const rows = await sql.query<SnapshotRow>(
    `SELECT ${SNAPSHOT_COLUMNS} FROM feed_snapshot WHERE destination_id = $1 AND run_id < $2::bigint AND status = 'published' ORDER BY run_id DESC, id DESC LIMIT 1`,
    [destinationId, runId],
  );
  return rows[0] && { id: rows[0].id, items: rows[0].items, xml: fileOf(rows[0], "xml"), tsv: fileOf(rows[0], "tsv") };
}

/** Serves `snapshotId` from now on: one statement, so a fetch sees the old or the new snapshot, never a mix. */
export async function publishSnapshot(sql: SqlRunner, destinationId: string, snapshotId: string, at: Date): Promise<void> {
  await sql.query(
    `WITH target AS (
       UPDATE feed_snapshot SET status = 'published' WHERE id = $2::bigint AND destination_id = $1 AND status IN ('ready', 'published') RETURNING id
     )
     INSERT INTO feed (destination_id, current_snapshot_id, published_at) SELECT $1, id, $3 FROM target
     ON CONFLICT (destination_id) DO UPDATE SET current_snapshot_id = EXCLUDED.current_snapshot_id, published_at = EXCLUDED.published_at`,
    [destinationId, snapshotId, at.toISOString()],
  );
  const [row] = await sql.query<{ current: string | null }>(`SELECT current_snapshot_id::text AS current FROM feed WHERE destination_id = $1`, [destinationId]);
  if (row?.current !== snapshotId) throw new Error(`snapshot ${snapshotId} is not complete: not published`);
}

/** Deletes snapshots beyond the newest `keep` published or ready ones (the served one always stays). */
export async function pruneFeedSnapshots(sql: SqlRunner, destinationId: string, keep: number): Promise<void> {
  const old = await sql.query<{ id: string }>(
    `SELECT s.id::text FROM feed_snapshot s
     WHERE s.destination_id = $1
       AND s.id NOT IN (SELECT current_snapshot_id FROM feed WHERE destination_id = $1 AND current_snapshot_id IS NOT NULL)
       AND (s.status = 'discarded' OR s.id NOT IN (
         SELECT id FROM feed_snapshot WHERE destination_id = $1 AND status IN ('ready', 'published') ORDER BY id DESC LIMIT $2
       ))
       AND s.status <> 'building'`,
    [destinationId, keep],
  );
  if (old.length === 0) return;
  const ids = old.map((row) => row.id);
  await sql.query(`DELETE FROM feed_snapshot_chunk WHERE snapshot_id = ANY($1::bigint[])`, [ids]);
  await sql.query(`DELETE FROM feed_snapshot WHERE id = ANY($1::bigint[])`, [ids]);
}

/** The snapshot a feed serves now, or undefined before its first publish. */
export async function publishedSnapshot(sql: SqlRunner, destinationId: string): Promise<PublishedSnapshot | undefined> {
  const rows = await sql.query<SnapshotRow & { published_at: Date }>(
    `SELECT s.id::text AS id, s.run_id::text AS run_id, s.items, s.ready_at, s.xml_bytes::text AS xml_bytes, s.xml_sha256, s.tsv_bytes::text AS tsv_bytes, s.tsv_sha256, f.published_at
     FROM feed f JOIN feed_snapshot s ON s.id = f.current_snapshot_id WHERE f.destination_id = $1`,
    [destinationId],
  );
  const row = rows[0];
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
    const rows = await sql.query<{ seq: number; data: Uint8Array }>(
      `SELECT seq, data FROM feed_snapshot_chunk WHERE snapshot_id = $1::bigint AND format = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
      [snapshotId, format, after, perRead],
    );
    for (const row of rows) yield Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
    if (rows.length < perRead) return;
    after = rows[rows.length - 1]!.seq;
  }
}

interface SnapshotRow {
  id: string;
  run_id: string;
  items: number;
  ready_at: Date | null;
  xml_bytes: string;
  xml_sha256: string | null;
  tsv_bytes: string;
  tsv_sha256: string | null;
}

const SNAPSHOT_COLUMNS = `id::text AS id, run_id::text AS run_id, items, ready_at, xml_bytes::text AS xml_bytes, xml_sha256, tsv_bytes::text AS tsv_bytes, tsv_sha256`;

function fileOf(row: SnapshotRow, format: FeedFormat): SnapshotFile {
  return format === "xml" ? { bytes: Number(row.xml_bytes), sha256: row.xml_sha256 ?? "" } : { bytes: Number(row.tsv_bytes), sha256: row.tsv_sha256 ?? "" };
}
