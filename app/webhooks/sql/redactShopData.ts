import type { SqlRunner } from "../../db/database.server";

// Every table holding a shop's data, children before parents.
const SHOP_TABLES = ["platform_order", "reservation", "change_record", "change_latest", "inventory_level", "variant", "product", "location", "source_version", "webhook_outbox", "destination_event", "shadow_order_event"];

/**
 * Deletes everything Lockstep holds of a shop but the shop row, its sessions included; rows
 * deleted per table. The stored deliveries go too, except `keepInboxId` (the one being
 * processed: its row records that the redaction happened).
 */
export async function redactShopData(tx: SqlRunner, shopId: string, keepInboxId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of SHOP_TABLES) {
    counts[table] = (await tx.query(`DELETE FROM ${table} WHERE shop_id = $1 RETURNING 1`, [shopId])).length;
  }
  await tx.query(`DELETE FROM session WHERE shop = (SELECT domain FROM shop WHERE id = $1)`, [shopId]);
  counts.webhook_inbox = (await tx.query(`DELETE FROM webhook_inbox WHERE shop_id = $1 AND id <> $2::bigint RETURNING 1`, [shopId, keepInboxId])).length;
  return counts;
}
