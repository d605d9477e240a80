import type { SqlRunner } from "../../db/database.server";
import { inChunks } from "../chunks";

export interface VersionRow {
  variantId: string;
  list: string;
  amount: string;
  currency: string;
  compareAt: string | null;
  validFrom: Date;
  /** Null: open, it runs until the next version of the item and list starts (filled in here). */
  validTo: Date | null;
  source: string;
  createdBy: string;
  saleId?: string | null;
  sourceUpdatedAt?: Date | null;
  /** Push it to the store / capture it when it starts (everything but what the store itself reported). */
  activate: boolean;
}

/**
 * Writes new versions and, for those that activate, their activation due at valid_from, in one
 * set-based statement per ~1,000 rows (app/prices/chunks.ts). An open version ends where the next active version of its item and list starts, so
 * it never covers a planned future row; anything else that overlaps is refused by the trigger.
 */
export async function insertVersions(tx: SqlRunner, shopId: string, rows: VersionRow[]): Promise<Array<{ id: string; variantId: string; list: string }>> {
  if (rows.length === 0) return [];
  // An open row ends where the next row of the same item and list in this batch starts (the statement
  // cannot see its own rows), or earlier where a stored version starts.
  const nextInBatch = new Map<number, Date>();
  const byKey = new Map<string, number[]>();
  rows.forEach((row, index) => byKey.set(`${row.variantId}|${row.list}`, [...(byKey.get(`${row.variantId}|${row.list}`) ?? []), index]));
  for (const indexes of byKey.values()) {
    indexes.sort((a, b) => rows[a]!.validFrom.getTime() - rows[b]!.validFrom.getTime());
    indexes.forEach((index, position) => {
      const next = indexes[position + 1];
      if (next !== undefined) nextInBatch.set(index, rows[next]!.validFrom);
    });
  }
  const input = rows.map((row, ord) => ({ ...row, ord, validTo: row.validTo ?? nextInBatch.get(ord) ?? null }));
  return inChunks(input, (chunk) =>
    tx.query<{ id: string; variantId: string; list: string }>(
      `WITH input AS (
         SELECT * FROM unnest($2::int[], $3::boolean[], $4::uuid[], $5::text[], $6::numeric[], $7::text[], $8::numeric[], $9::timestamptz[], $10::timestamptz[],
                              $11::text[], $12::text[], $13::uuid[], $14::timestamptz[], $15::boolean[])
           AS i(ord, open, variant_id, list, amount, currency, compare_at, valid_from, valid_to, source, created_by, sale_id, source_updated_at, activate)
       ), inserted AS (
         INSERT INTO price_version (shop_id, variant_id, list, amount, currency, compare_at, valid_from, valid_to, source, created_by, sale_id, source_updated_at)
         SELECT $1, i.variant_id, i.list, i.amount, i.currency, i.compare_at, i.valid_from,
                CASE WHEN i.open THEN least(i.valid_to, (SELECT min(n.valid_from) FROM price_version n
                  WHERE n.shop_id = $1 AND n.variant_id = i.variant_id AND n.list = i.list AND n.superseded_at IS NULL AND n.valid_from > i.valid_from))
                  ELSE i.valid_to END,
                i.source, i.created_by, i.sale_id, i.source_updated_at
         FROM input i ORDER BY i.ord
         RETURNING id, variant_id, list, valid_from
       ), activations AS (
         INSERT INTO price_activation (shop_id, version_id, run_at)
         SELECT $1, ins.id, ins.valid_from FROM inserted ins
         WHERE EXISTS (SELECT 1 FROM input i WHERE i.activate AND i.variant_id = ins.variant_id AND i.list = ins.list AND i.valid_from = ins.valid_from)
       )
       SELECT id::text AS id, variant_id AS "variantId", list FROM inserted`,
      [
        shopId,
        chunk.map((row) => row.ord),
        chunk.map((row) => rows[row.ord]!.validTo === null),
        chunk.map((row) => row.variantId),
        chunk.map((row) => row.list),
        chunk.map((row) => row.amount),
        chunk.map((row) => row.currency),
        chunk.map((row) => row.compareAt),
        chunk.map((row) => row.validFrom.toISOString()),
        chunk.map((row) => row.validTo?.toISOString() ?? null),
        chunk.map((row) => row.source),
        chunk.map((row) => row.createdBy),
        chunk.map((row) => row.saleId ?? null),
        chunk.map((row) => row.sourceUpdatedAt?.toISOString() ?? null),
        chunk.map((row) => row.activate),
      ],
    ),
  );
}
