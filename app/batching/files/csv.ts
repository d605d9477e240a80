import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { CountingStream, type FileColumn, type FileRow, type WrittenFile, checkValue } from "./columns";

/**
 * Writes rows as CSV (header row, RFC 4180 quoting) to `sink`, pulling the next row only as the
 * sink drains: memory stays flat however many rows the iterable yields.
 */
export async function writeCsv(rows: AsyncIterable<FileRow> | Iterable<FileRow>, columns: FileColumn[], sink: Writable): Promise<WrittenFile> {
  let count = 0;
  async function* cells() {
    for await (const row of rows) {
      count++;
      yield columns.map((column) => {
        const value = row[column.name];
        checkValue(column, value, count);
        return csvCell(value);
      });
    }
  }
  const counter = new CountingStream();
  await pipeline(Readable.from(cells()), stringify({ header: true, columns: columns.map((column) => column.name) }), counter, sink);
  return { rows: count, bytes: counter.bytes, sha256: counter.sha256() };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
