import type { SqlRunner } from "../../db/database.server";

/** The variant carrying a platform inventory item, if Lockstep has one. */
export async function findItemVariant(tx: SqlRunner, shopId: string, inventoryItemExternalId: string): Promise<string | undefined> {
  const rows = await tx.query<{ id: string }>(`SELECT id FROM variant WHERE shop_id = $1 AND inventory_item_external_id = $2 LIMIT 1`, [shopId, inventoryItemExternalId]);
  return rows[0]?.id;
}
