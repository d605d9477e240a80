import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { parse } from "csv-parse/sync";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FileColumn, type FileRow } from "../../../app/batching/files/columns";
import { writeCsv } from "../../../app/batching/files/csv";
import { writeParquet } from "../../../app/batching/files/parquet";

const columns: FileColumn[] = [
  { name: "sku", type: "STRING" },
  { name: "title", type: "STRING", nullable: true },
  { name: "price", type: "DOUBLE" },
  { name: "available", type: "INT32" },
  { name: "version", type: "INT64" },
  { name: "active", type: "BOOLEAN" },
  { name: "changedAt", type: "TIMESTAMP" },
];

function priceRow(i: number): FileRow {
  return {
    sku: `SKU-${i}`,
    // Quotes, commas, line breaks and non-ASCII must survive the trip.
    title: i % 7 === 0 ? null : `Chair "${i}", oak\nlarge — ${i % 3 === 0 ? "é" : "x"}`,
    price: Math.round(i * 1.37 * 100) / 100,
    available: i % 50,
    version: i * 3,
    active: i % 2 === 0,
    changedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
  };
}

async function* rowsOf(count: number, onPull?: (pulled: number) => void): AsyncGenerator<FileRow> {
  for (let i = 1; i <= count; i++) {
    onPull?.(i);
    yield priceRow(i);
  }
}

/** A sink that keeps what it receives and, like a network socket, takes its time to drain. */
function collectingSink(onChunk?: (chunk: Buffer) => void) {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      onChunk?.(chunk);
      setImmediate(callback);
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lockstep-files-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The same rows as `rowsOf`, handed over in pages (arrays) of `size`, as the SFTP adapter hands a run's pages. */
async function* pagesOf(count: number, size: number): AsyncGenerator<FileRow[]> {
  for (let first = 1; first <= count; first += size) yield Array.from({ length: Math.min(size, count - first + 1) }, (_, k) => priceRow(first + k));
}

describe("pages of rows", () => {
  it("write the same bytes as the rows one at a time, in both formats", async () => {
    for (const write of [writeCsv, (rows: Parameters<typeof writeCsv>[0], of: FileColumn[], sink: Writable) => writeParquet(rows, of, sink, { rowGroupSize: 1_000 })]) {
      const one = collectingSink();
      const paged = collectingSink();
      const byRow = await write(rowsOf(2_345), columns, one.sink);
      // Pages that do not line up with the writers' chunks or row groups.
      const byPage = await write(pagesOf(2_345, 700), columns, paged.sink);
      expect(byPage).toEqual(byRow);
      expect(paged.bytes().equals(one.bytes())).toBe(true);
    }
  });

  it("name the row of a page that does not fit its column by its place in the file", async () => {
    const rows = [[priceRow(1), priceRow(2)], [priceRow(3), { ...priceRow(4), price: "free" }]];
    await expect(writeCsv(rows, columns, new PassThrough().resume())).rejects.toThrow(/row 4: price is not a DOUBLE/);
    await expect(writeParquet(rows, columns, new PassThrough().resume())).rejects.toThrow(/row 4: price is not a DOUBLE/);
  });
});

describe("CSV files", () => {
  it("parse back to the rows written, with the header, and report rows, bytes and the SHA-256 of the file", async () => {
    const file = path.join(dir, "prices.csv");
    const written = await writeCsv(rowsOf(500), columns, createWriteStream(file));
    const content = await readFile(file);
    expect(written).toEqual({ rows: 500, bytes: content.length, sha256: createHash("sha256").update(content).digest("hex") });
    const parsed = parse(content, { columns: true }) as Record<string, string>[];
    expect(parsed).toHaveLength(500);
    for (let i = 1; i <= 500; i++) {
      const row = priceRow(i);
      expect(parsed[i - 1]).toEqual({
        sku: row.sku,
        title: row.title ?? "",
        price: String(row.price),
        available: String(row.available),
        version: String(row.version),
        active: String(row.active),
        changedAt: (row.changedAt as Date).toISOString(),
      });
    }
  });

  it("pulls rows only as fast as the sink drains: the rows in flight stay bounded however many there are", async () => {
    let pulled = 0;
    let received = 0;
    let mostInFlight = 0;
    const { sink } = collectingSink((chunk) => {
      for (const byte of chunk) if (byte === 0x0a) received++;
      mostInFlight = Math.max(mostInFlight, pulled - received);
    });
    // Titles carry a line break on most rows, so count rows by a title-free layout.
    const plain = columns.filter((column) => column.name !== "title");
    const written = await writeCsv(rowsOf(30_000, (i) => (pulled = i)), plain, sink);
    expect(written.rows).toBe(30_000);
    expect(received).toBe(30_001);
    // One 64 KiB chunk (~1,300 of these rows) plus the streams' buffers: far below the 30,000.
    expect(mostInFlight).toBeLessThan(5_000);
  });

  it("refuses a row that does not fit its column, naming the row and the column", async () => {
    const rows = [priceRow(1), { ...priceRow(2), price: "free" }];
    await expect(writeCsv(rows, columns, new PassThrough().resume())).rejects.toThrow(/row 2: price is not a DOUBLE/);
    await expect(writeCsv([{ ...priceRow(1), sku: null }], columns, new PassThrough().resume())).rejects.toThrow(/row 1: sku is empty/);
  });
});

describe("Parquet files", () => {
  it("read back (hyparquet) to the rows written, in row groups of the chosen size", async () => {
    const file = path.join(dir, "prices.parquet");
    const written = await writeParquet(rowsOf(2_500), columns, createWriteStream(file), { rowGroupSize: 1_000 });
    const content = await readFile(file);
    expect(written).toEqual({ rows: 2_500, bytes: content.length, sha256: createHash("sha256").update(content).digest("hex") });
    const buffer = content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength);
    expect(parquetMetadata(buffer).row_groups.map((group) => Number(group.num_rows))).toEqual([1_000, 1_000, 500]);
    const read = await parquetReadObjects({ file: buffer });
    expect(read).toHaveLength(2_500);
    for (let i = 1; i <= 2_500; i++) {
      const row = priceRow(i);
      expect(read[i - 1]).toEqual({ ...row, version: BigInt(row.version as number) });
    }
  });

  it("hands each row group to the sink before gathering the next: at most one group of rows is held", async () => {
    const rowGroupSize = 1_000;
    let pulled = 0;
    let mostHeld = 0;
    let groups = 0;
    const { sink, bytes } = collectingSink();
    const written = await writeParquet(
      rowsOf(50_000, (i) => {
        pulled = i;
      }),
      columns,
      sink,
      {
        rowGroupSize,
        onRowGroup: (rowsSoFar, bytesSoFar) => {
          groups++;
          mostHeld = Math.max(mostHeld, pulled - (groups - 1) * rowGroupSize);
          // The group's bytes already went to the sink before the next row is pulled.
          expect(rowsSoFar).toBe(pulled);
          expect(bytesSoFar).toBeGreaterThan(0);
        },
      },
    );
    expect(groups).toBe(50);
    expect(mostHeld).toBe(rowGroupSize);
    expect(written.rows).toBe(50_000);
    const file = bytes();
    expect(parquetMetadata(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength)).row_groups).toHaveLength(50);
  });

  it("fails the write when the sink fails mid-file instead of waiting for it", async () => {
    let received = 0;
    const sink = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        received++;
        callback(received > 2 ? new Error("connection lost") : null);
      },
    });
    await expect(writeParquet(rowsOf(20_000), columns, sink, { rowGroupSize: 1_000 })).rejects.toThrow(/connection lost/);
  });

  it("refuses a row that does not fit its column", async () => {
    const sink = new PassThrough().resume();
    await expect(writeParquet([priceRow(1), { ...priceRow(2), available: 1.5 }], columns, sink)).rejects.toThrow(/row 2: available is not a INT32/);
    expect(sink.destroyed).toBe(true);
  });
});
