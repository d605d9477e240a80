import type { SqlRunner } from "../../db/database.server";

/**
 * What shop/redact deletes beyond the shop's data: its settings, destinations (with their sealed
 * credentials and runs), catalog reading, setup-guide state and every credential. The shop row
 * stays as the tenant a later install starts fresh from. Returns the rows deleted per table.
 */
export async function forgetShopSettings(tx: SqlRunner, shopId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ["inventory_policy", "destination", "catalog_backfill", "onboarding_dismissal"]) {
    counts[table] = (await tx.query(`DELETE FROM ${table} WHERE shop_id = $1::uuid RETURNING 1`, [shopId])).length;
  }
  await tx.query(`UPDATE shop SET api_token_hash = NULL, api_token_prefix = NULL, access_token_sealed = NULL, updated_at = now() WHERE id = $1::uuid`, [shopId]);
  return counts;
}
