import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify as stringifySync } from "csv-stringify/sync";
import { CountingStream, type FileColumn, type FileRows, type WrittenFile, checkValue, rowsOf } from "./columns";

/** Rows serialised per call of the library: one string per this many rows instead of a stream transform per row. */
const ROWS_PER_CHUNK = 1_000;

/**
 * Writes rows as CSV (header row, RFC 4180 quoting) to `sink`, pulling the next rows only as the
 * sink drains: memory stays flat however many rows the iterable yields (one chunk of rows and one
 * page at most).
 * csv-stringify serialises a chunk of rows at a time (its sync API): the per-row stream transform
 * cost more than the serialising itself.
 */
export async function writeCsv(rows: FileRows, columns: FileColumn[], sink: Writable): Promise<WrittenFile> {
  let count = 0;
  const names = columns.map((column) => column.name);
  async function* text() {
    let chunk: string[][] = [];
    let header = true;
    for await (const page of rows) {
      for (const row of rowsOf(page)) {
        count++;
        chunk.push(
          columns.map((column) => {
            const value = row[column.name];
            checkValue(column, value, count);
            return csvCell(value);
          }),
        );
        if (chunk.length >= ROWS_PER_CHUNK) {
          yield stringifySync(chunk, { header, columns: names });
          header = false;
          chunk = [];
        }
      }
    }
    // The last rows; a file without rows still has its header.
    if (chunk.length > 0) yield stringifySync(chunk, { header, columns: names });
    else if (header) yield stringifySync([names]);
  }
  const counter = new CountingStream();
  await pipeline(Readable.from(text(), { objectMode: false }), counter, sink);
  return { rows: count, bytes: counter.bytes, sha256: counter.sha256() };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
