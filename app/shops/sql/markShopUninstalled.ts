import type { SqlRunner } from "../../db/database.server";

/**
 * Uninstalls the shop as of `at` and deletes its sessions, unless it was (re-)installed after
 * `at`: a re-install after the uninstall event was sent wins. False when it did not apply.
 */
export async function markShopUninstalled(tx: SqlRunner, shopId: string, at: Date): Promise<boolean> {
  const rows = await tx.query(
    `WITH uninstalled AS (
       UPDATE shop SET install_state = 'uninstalled', uninstalled_at = $2, updated_at = now()
       WHERE id = $1 AND install_state = 'installed' AND installed_at <= $2 RETURNING domain
     ), sessions AS (
       DELETE FROM session WHERE shop IN (SELECT domain FROM uninstalled)
     )
     SELECT 1 FROM uninstalled`,
    [shopId, at.toISOString()],
  );
  return rows.length === 1;
}
