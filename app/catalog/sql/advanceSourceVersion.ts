import type { SqlRunner } from "../../db/database.server";

/** Moves the recorded source time of an entity without a column of its own forward; false when the report is older. */
export async function advanceSourceVersion(tx: SqlRunner, shopId: string, kind: string, externalId: string, at: Date): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO source_version (shop_id, kind, external_id, source_updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (shop_id, kind, external_id) DO UPDATE SET source_updated_at = EXCLUDED.source_updated_at
     WHERE source_version.source_updated_at <= EXCLUDED.source_updated_at
     RETURNING 1`,
    [shopId, kind, externalId, at.toISOString()],
  );
  return rows.length === 1;
}
