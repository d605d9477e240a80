import posix from "node:path/posix";
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { parquetReadObjects } from "hyparquet";
import type SftpClient from "ssh2-sftp-client";
import type { Destination, ItemKind, ItemState, ReadBackItem } from "../../batching/types";
import { type SftpOutbound, type SftpTarget, withSftp } from "./connection.server";
import { readRemote } from "./upload.server";
import { type Clock, systemClock } from "../../config/clock";

export interface DropReadBackOptions {
  /** A reconciliation asks page by page: the drop read for its first page serves the next ones this long. */
  reuseMs?: number;
  /** Rows kept from the drop at most (newest files first): memory stays bounded however much piles up. */
  maxRows?: number;
  clock?: Pick<Clock, "now">;
}

interface DropFile {
  name: string;
  run: number;
  attempt: number;
}

/**
 * What a file drop holds: the state of each SKU in the newest file of the kind still on the server
 * (the receiver removes what it imported, so an imported item reads as not held — its own snapshot
 * file, app/destinations/sftp/inbound.ts, is where its figures come back).
 */
export function dropReadBack(columnsOf: (kind: ItemKind) => Array<{ name: string; type: string; nullable?: boolean }>, options: DropReadBackOptions = {}) {
  const reuseMs = options.reuseMs ?? 60_000;
  const maxRows = options.maxRows ?? 500_000;
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, { at: number; held: Map<string, ItemState> }>();

  async function load(target: SftpTarget, prefix: string, kind: ItemKind, outbound: SftpOutbound | undefined): Promise<Map<string, ItemState>> {
    const pattern = new RegExp(`^${prefix.replace(/[.]/g, "\\.")}${kind}-run(\\d+)-a(\\d+)-p\\d+\\.(csv|parquet)$`);
    const held = new Map<string, ItemState>();
    await withSftp(target, async (client) => {
      const files: DropFile[] = [];
      for (const entry of await client.list(target.directory)) {
        const match = entry.type === "-" ? pattern.exec(entry.name) : null;
        if (match) files.push({ name: entry.name, run: Number(match[1]), attempt: Number(match[2]) });
      }
      // Newest run (then attempt) first: an item's newest state wins.
      files.sort((a, b) => b.run - a.run || b.attempt - a.attempt);
      for (const file of files) {
        if (held.size >= maxRows) break;
        for await (const row of rowsOf(client, posix.join(target.directory, file.name))) {
          const sku = String(row.sku);
          if (!held.has(sku)) held.set(sku, stateOfRow(row, columnsOf(kind)));
        }
      }
    }, outbound);
    return held;
  }

  return async function readBack(destination: Destination, target: SftpTarget, prefix: string, kind: ItemKind, skus: string[], outbound?: SftpOutbound): Promise<ReadBackItem[]> {
    const key = `${destination.id}\n${kind}`;
    let entry = cache.get(key);
    if (!entry || clock.now() - entry.at > reuseMs) {
      entry = { at: clock.now(), held: await load(target, prefix, kind, outbound) };
      cache.set(key, entry);
    }
    const held = entry.held;
    return skus.map((sku) => ({ kind, sku, state: held.get(sku) }));
  };
}

async function* rowsOf(client: SftpClient, remotePath: string): AsyncGenerator<Record<string, unknown>> {
  if (remotePath.endsWith(".csv")) {
    yield* Readable.from(readRemote(client, remotePath)).pipe(parse({ columns: true })) as AsyncIterable<Record<string, unknown>>;
    return;
  }
  // Parquet keeps its index at the end: one file (at most rowsPerFile rows) is read whole.
  const bytes = (await client.get(remotePath)) as Buffer;
  yield* await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
}

/** A file row as the item state the adapter compares: every column but `version`, typed back from CSV text. */
function stateOfRow(row: Record<string, unknown>, columns: Array<{ name: string; type: string; nullable?: boolean }>): ItemState {
  const state: ItemState = {};
  for (const column of columns) {
    if (column.name === "version") continue;
    const value = row[column.name];
    if (value === undefined || value === null || (value === "" && column.nullable)) state[column.name] = null;
    else if (column.type === "INT32") state[column.name] = Number(value);
    else state[column.name] = String(value);
  }
  return state;
}
