import type { SqlRunner } from "../../db/database.server";

/** True while the shop has Lockstep installed (a re-install after an uninstall counts). */
export async function isShopInstalled(tx: SqlRunner, shopId: string): Promise<boolean> {
  const rows = await tx.query(`SELECT 1 FROM shop WHERE id = $1 AND install_state = 'installed'`, [shopId]);
  return rows.length === 1;
}
