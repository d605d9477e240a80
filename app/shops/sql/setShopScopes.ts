import type { SqlRunner } from "../../db/database.server";

/** Records the access scopes the merchant granted. */
export async function setShopScopes(tx: SqlRunner, shopId: string, scopes: string[]): Promise<void> {
  await tx.query(`UPDATE shop SET scopes = $2, updated_at = now() WHERE id = $1`, [shopId, scopes.join(",")]);
}
