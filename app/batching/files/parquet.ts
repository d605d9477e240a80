import { once } from "node:events";
import { type Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { ByteWriter, ParquetWriter, type SchemaElement, type Writer } from "hyparquet-writer";
import { CountingStream, type FileColumn, type FileRow, type FileRows, type WrittenFile, checkValue, rowsOf } from "./columns";

export interface ParquetFileOptions {
  /** Rows gathered before one row group is encoded and sent to the sink; memory is bounded by it. */
  rowGroupSize?: number;
  /** Told after each row group reached the sink (tests watch the streaming through it). */
  onRowGroup?: (rowsSoFar: number, bytesSoFar: number) => void;
}

export const defaultRowGroupSize = 10_000;

/**
 * Writes rows as Parquet to `sink` one row group at a time: the rows of one group are gathered,
 * encoded, handed to the sink (waiting for it to drain), then dropped, so memory stays flat in the
 * number of rows (one group and one page at most). The footer (schema, row group offsets) goes last.
 */
export async function writeParquet(
  rows: FileRows,
  columns: FileColumn[],
  sink: Writable,
  options: ParquetFileOptions = {},
): Promise<WrittenFile> {
  const rowGroupSize = options.rowGroupSize ?? defaultRowGroupSize;
  const counter = new CountingStream();
  counter.pipe(sink);
  const delivered = finished(sink);
  // A sink failing mid-file must fail the write, not leave it waiting for a drain that never comes.
  let sinkError: unknown;
  delivered.catch((error: unknown) => {
    sinkError = error;
  });

  const bytes = new ByteWriter();
  const send = async () => {
    if (sinkError) throw sinkError;
    if (bytes.index === 0) return;
    const chunk = Buffer.from(bytes.getBytes());
    bytes.index = 0;
    if (!counter.write(chunk)) await Promise.race([once(counter, "drain"), delivered]);
    if (sinkError) throw sinkError;
  };
  (bytes as Writer).flush = send;
  bytes.finish = send;

  const writer = new ParquetWriter({ writer: bytes, schema: parquetSchema(columns), createdBy: "lockstep" });
  let count = 0;
  let group: FileRow[] = [];
  const writeGroup = async () => {
    if (group.length === 0) return;
    await writer.write({ columnData: columns.map((column) => ({ name: column.name, data: group.map((row) => parquetValue(column, row[column.name])) })), rowGroupSize: group.length });
    group = [];
    options.onRowGroup?.(count, counter.bytes);
  };
  try {
    for await (const page of rows) {
      for (const row of rowsOf(page)) {
        count++;
        for (const column of columns) checkValue(column, row[column.name], count);
        group.push(row);
        if (group.length >= rowGroupSize) await writeGroup();
      }
    }
    await writeGroup();
    await writer.finish();
    counter.end();
    await delivered;
  } catch (error) {
    // Like stream.pipeline for CSV: the sink is torn down, so nobody mistakes half a file for a whole one.
    counter.destroy();
    sink.destroy(error as Error);
    throw error;
  }
  return { rows: count, bytes: counter.bytes, sha256: counter.sha256() };
}

function parquetValue(column: FileColumn, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  // The writer takes INT64 only as bigint; rows carry safe integers as plain numbers.
  return column.type === "INT64" && typeof value === "number" ? BigInt(value) : value;
}

function parquetSchema(columns: FileColumn[]): SchemaElement[] {
  return [
    { name: "root", num_children: columns.length },
    ...columns.map((column): SchemaElement => ({ name: column.name, repetition_type: column.nullable ? "OPTIONAL" : "REQUIRED", ...physicalType(column) })),
  ];
}

function physicalType(column: FileColumn): Pick<SchemaElement, "type" | "converted_type"> {
  switch (column.type) {
    case "STRING":
      return { type: "BYTE_ARRAY", converted_type: "UTF8" };
    case "TIMESTAMP":
      return { type: "INT64", converted_type: "TIMESTAMP_MILLIS" };
    default:
      return { type: column.type };
  }
}
