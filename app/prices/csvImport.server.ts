import { parse } from "csv-parse/sync";
import { LockstepError } from "../config/errors";
import type { Sql, SqlRunner } from "../db/database.server";
import { chunked } from "./chunks";
import { lockPriceItems } from "./sql/lockPriceItems";
import { variantsBySku } from "./sql/variantsBySku";
import { AMOUNT_PATTERN, CURRENCY_PATTERN, DEFAULT_LIST, translateDatabaseRefusal, versionRow, writeVersions, type NewPrice } from "./versions.server";

/** One refused row: its line in the file (the header is line 1), SKU and why. */
export interface RowProblem {
  line: number;
  sku: string;
  code: string;
  message: string;
}

export interface ImportOptions {
  /** Rows without a `list` column go here (default: the store's list). */
  list?: string;
  /** Rows without a `currency` column get this one. */
  currency?: string;
  /** Rows without `valid_from` start now. */
  now?: Date;
  createdBy: string;
}

export const MAX_IMPORT_ROWS = 200_000;
const MAX_IMPORT_BYTES = 50 * 1024 * 1024;

/**
 * Loads a price list (or a scheduled sale: rows with `valid_to`) from CSV with the columns
 * `sku, amount` and optionally `currency, compare_at, valid_from, valid_to, list`. Every row is
 * checked (unknown SKU, amount, currency, dates) and then written in order of validity, ~1,000 rows
 * a statement under a savepoint (a refused chunk again row by row), so an overlap with a stored version or with another row is reported on its
 * line too. One transaction: when any row is refused nothing is applied, and the answer is 422
 * `import_refused` listing every refused row.
 */
export async function importPriceCsv(sql: Sql, shopId: string, csv: string, options: ImportOptions): Promise<{ versions: number }> {
  if (Buffer.byteLength(csv) > MAX_IMPORT_BYTES) throw new LockstepError("import_too_large", `A price file holds at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB`);
  const records = readCsv(csv);
  const problems: RowProblem[] = [];
  const rows: Array<{ line: number; sku: string; price: Omit<NewPrice, "variantId"> }> = [];
  for (const [index, record] of records.entries()) {
    const line = index + 2;
    const sku = (record.sku ?? "").trim();
    const refuse = (code: string, message: string) => problems.push({ line, sku, code, message });
    if (!sku) {
      refuse("missing_sku", "The row has no sku");
      continue;
    }
    const amount = (record.amount ?? "").trim();
    if (amount.startsWith("-")) refuse("negative_amount", `The amount ${amount} is negative`);
    else if (!AMOUNT_PATTERN.test(amount)) refuse("invalid_amount", `The amount ${JSON.stringify(amount)} is not a decimal number such as 19.99`);
    const compareAt = (record.compare_at ?? "").trim() || null;
    if (compareAt !== null && !AMOUNT_PATTERN.test(compareAt)) refuse("invalid_compare_at", `compare_at ${JSON.stringify(compareAt)} is not a decimal number that is not negative`);
    const currency = ((record.currency ?? "").trim() || options.currency || "").toUpperCase();
    if (!CURRENCY_PATTERN.test(currency)) refuse("invalid_currency", `The currency ${JSON.stringify(currency)} is not an ISO 4217 code (or pass a default currency)`);
    const validFrom = dateOf(record.valid_from) ?? options.now ?? new Date();
    const validTo = dateOf(record.valid_to);
    if (Number.isNaN(validFrom.getTime())) refuse("invalid_valid_from", `valid_from ${JSON.stringify(record.valid_from)} is not an ISO 8601 instant`);
    if (validTo && Number.isNaN(validTo.getTime())) refuse("invalid_valid_to", `valid_to ${JSON.stringify(record.valid_to)} is not an ISO 8601 instant`);
    else if (validTo && !(validTo > validFrom)) refuse("invalid_valid_to", "valid_to must be after valid_from");
    const list = (record.list ?? "").trim() || options.list || DEFAULT_LIST;
    if (problems.at(-1)?.line === line) continue;
    rows.push({ line, sku, price: { list, amount, currency, compareAt, validFrom, validTo } });
  }
  return translateDatabaseRefusal(() =>
    sql.transaction(async (tx) => {
      const variants = await variantsBySku(tx, shopId, [...new Set(rows.map((row) => row.sku))]);
      const known = rows.filter((row) => {
        if (variants.has(row.sku)) return true;
        problems.push({ line: row.line, sku: row.sku, code: "unknown_sku", message: `No SKU ${row.sku} in this shop` });
        return false;
      });
      const ordered = [...known].sort((a, b) => a.price.validFrom.getTime() - b.price.validFrom.getTime() || a.line - b.line);
      const rowOf = (row: (typeof ordered)[number]) => versionRow({ ...row.price, variantId: variants.get(row.sku)! }, { source: "import", createdBy: options.createdBy });
      await lockPriceItems(tx, shopId, ordered.map(rowOf));
      let versions = 0;
      // In order of validity, so an open row is closed by the file's later row of the same item; ~1,000 rows
      // a statement under a savepoint, and a chunk that is refused is written again row by row to name its lines.
      for (const chunk of chunked(ordered)) {
        const written = await underSavepoint(tx, () => writeVersions(tx, shopId, chunk.map(rowOf)));
        if (written.ok) {
          versions += written.value.length;
          continue;
        }
        for (const row of chunk) {
          const one = await underSavepoint(tx, () => writeVersions(tx, shopId, [rowOf(row)]));
          if (one.ok) versions += one.value.length;
          else problems.push({ line: row.line, sku: row.sku, code: one.code === "23P01" ? "price_overlap" : "invalid_price", message: one.message.replace(/^price_\w+: /, "") });
        }
      }
      if (problems.length > 0) {
        problems.sort((a, b) => a.line - b.line);
        throw new LockstepError("import_refused", `${problems.length} row(s) refused: nothing was applied`, { rows: problems.slice(0, 1000), refusedRows: problems.length });
      }
      return { versions };
    }),
  );
}

/** Runs one write under a savepoint: an overlap or a refused value rolls back only it (anything else fails the import). */
async function underSavepoint<T>(tx: SqlRunner, work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string; message: string }> {
  await tx.query("SAVEPOINT price_rows");
  try {
    const value = await work();
    await tx.query("RELEASE SAVEPOINT price_rows");
    return { ok: true, value };
  } catch (error) {
    await tx.query("ROLLBACK TO SAVEPOINT price_rows");
    const { code, message } = error as { code?: string; message?: string };
    if (code !== "23P01" && code !== "23514") throw error;
    return { ok: false, code, message: message ?? "" };
  }
}

function readCsv(csv: string): Array<Record<string, string | undefined>> {
  let records: Array<Record<string, string | undefined>>;
  try {
    records = parse(csv, { columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new LockstepError("invalid_csv", `The file is not readable CSV: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (records.length === 0) throw new LockstepError("empty_import", "The file has no rows under its header");
  if (records.length > MAX_IMPORT_ROWS) throw new LockstepError("import_too_large", `A price file holds at most ${MAX_IMPORT_ROWS} rows`);
  const columns = Object.keys(records[0]!);
  for (const required of ["sku", "amount"]) {
    if (!columns.includes(required)) throw new LockstepError("missing_column", `The header needs a ${required} column (sku, amount[, currency, compare_at, valid_from, valid_to, list])`);
  }
  return records;
}

function dateOf(value: string | undefined): Date | undefined {
  const text = (value ?? "").trim();
  if (!text) return undefined;
  return /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(text) ? new Date(text) : new Date(NaN);
}
