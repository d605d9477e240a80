import type { SqlRunner } from "../../db/database.server";

/** Ends one version early at `at` (a store edit during it): the row keeps its amount and start. */
export async function closeVersionAt(tx: SqlRunner, versionId: string, at: Date): Promise<void> {
  await tx.query(`UPDATE price_version SET valid_to = $2 WHERE id = $1::bigint AND valid_from < $2`, [versionId, at.toISOString()]);
}
