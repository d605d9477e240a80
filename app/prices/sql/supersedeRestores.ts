import type { SqlRunner } from "../../db/database.server";

export interface SupersededRestore {
  variantId: string;
  list: string;
  currency: string;
  validFrom: Date;
  validTo: Date | null;
  saleId: string | null;
}

/** Marks planned sale ends superseded (kept in the history) and returns their windows, to be planned again with another amount. */
export async function supersedeRestores(tx: SqlRunner, restoreIds: string[]): Promise<SupersededRestore[]> {
  if (restoreIds.length === 0) return [];
  return tx.query<SupersededRestore>(
    `UPDATE price_version SET superseded_at = now() WHERE id = ANY($1::bigint[]) AND superseded_at IS NULL
     RETURNING variant_id AS "variantId", list, currency, valid_from AS "validFrom", valid_to AS "validTo", sale_id AS "saleId"`,
    [restoreIds],
  );
}
