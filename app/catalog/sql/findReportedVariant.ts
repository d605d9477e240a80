import type { SqlRunner } from "../../db/database.server";

/**
 * The row a reported variant lands on: itself by its id, or the placeholder an inventory event
 * created for its item; `applies` is false when the row holds a newer report than `at`.
 */
export async function findReportedVariant(
  tx: SqlRunner,
  shopId: string,
  variant: { externalId: string; inventoryItemExternalId: string | null },
  at: Date,
): Promise<{ id: string; applies: boolean } | undefined> {
  const rows = await tx.query<{ id: string; applies: boolean }>(
    `SELECT id, (source_updated_at IS NULL OR source_updated_at <= $4) AS applies FROM variant
     WHERE shop_id = $1 AND (external_id = $2 OR ($3::text IS NOT NULL AND inventory_item_external_id = $3))
     ORDER BY (external_id = $2) DESC LIMIT 1`,
    [shopId, variant.externalId, variant.inventoryItemExternalId, at.toISOString()],
  );
  return rows[0];
}
