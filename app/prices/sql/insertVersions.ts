import type { SqlRunner } from "../../db/database.server";

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
 * statement. An open version ends where the next active version of its item and list starts, so
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
  const input = rows.map((row, ord) => ({
    ord,
    open: row.validTo === null,
    variant_id: row.variantId,
    list: row.list,
    amount: row.amount,
    currency: row.currency,
    compare_at: row.compareAt,
    valid_from: row.validFrom.toISOString(),
    valid_to: (row.validTo ?? nextInBatch.get(ord))?.toISOString() ?? null,
    source: row.source,
    created_by: row.createdBy,
    sale_id: row.saleId ?? null,
    source_updated_at: row.sourceUpdatedAt?.toISOString() ?? null,
    activate: row.activate,
  }));
  return tx.query(
    `WITH input AS (
       SELECT * FROM json_to_recordset($2::json) AS i(ord int, open boolean, variant_id uuid, list text, amount numeric, currency text, compare_at numeric,
         valid_from timestamptz, valid_to timestamptz, source text, created_by text, sale_id uuid, source_updated_at timestamptz, activate boolean)
     ), inserted AS (
       INSERT INTO price_version (shop_id, variant_id, list, amount, currency, compare_at, valid_from, valid_to, source, created_by, sale_id, source_updated_at)
       SELECT $1, i.variant_id, i.list, i.amount, i.currency, i.compare_at, i.valid_from,
              CASE WHEN i.open THEN least(i.valid_to, (SELECT min(n.valid_from) FROM price_version n
                WHERE n.shop_id = $1 AND n.variant_id = i.variant_id AND n.list = i.list AND n.superseded_at IS NULL AND n.valid_from > i.valid_from))
                ELSE i.valid_to END,
              i.source, i.created_by, i.sale_id, i.source_updated_at
       FROM input i ORDER BY i.ord
       RETURNING id, variant_id, list, valid_from, source
     ), activations AS (
       INSERT INTO price_activation (shop_id, version_id, run_at)
       SELECT $1, ins.id, ins.valid_from FROM inserted ins
       WHERE EXISTS (SELECT 1 FROM input i WHERE i.activate AND i.variant_id = ins.variant_id AND i.list = ins.list AND i.valid_from = ins.valid_from)
     )
     SELECT id::text AS id, variant_id AS "variantId", list FROM inserted`,
    [shopId, JSON.stringify(input)],
  );
}
