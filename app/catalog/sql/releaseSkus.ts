import type { SqlRunner } from "../../db/database.server";

/**
 * Frees each SKU from whichever other variant of the shop holds it (SKUs move between variants on
 * the platforms): that variant falls back to its placeholder. `id` is the variant about to take
 * the SKU (null: a variant not created yet).
 */
export async function releaseSkus(tx: SqlRunner, shopId: string, takers: Array<{ id: string | null; sku: string }>): Promise<void> {
  await tx.query(
    `UPDATE variant v SET sku = '#' || v.external_id, updated_at = now()
     FROM json_to_recordset($2::json) AS i(id uuid, sku text)
     WHERE v.shop_id = $1 AND v.sku = i.sku AND (i.id IS NULL OR v.id <> i.id)`,
    [shopId, JSON.stringify(takers)],
  );
}
