import type { SqlRunner } from "../../db/database.server";

/** Whether a change reported at `at` is not older than what the variant holds (state only moves forward). */
export async function variantTakesChange(tx: SqlRunner, variantId: string, at: Date): Promise<boolean> {
  const rows = await tx.query<{ applies: boolean }>(`SELECT (source_updated_at IS NULL OR source_updated_at <= $2) AS applies FROM variant WHERE id = $1`, [variantId, at.toISOString()]);
  return rows[0]?.applies === true;
}
