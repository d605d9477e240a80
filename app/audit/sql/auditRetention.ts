import type { SqlRunner } from "../../db/database.server";

/** The shop's own retention in days, or null: the deployment's default applies. */
export async function readAuditRetention(sql: SqlRunner, shopId: string): Promise<number | null> {
  const [row] = await sql.query<{ days: number }>(`SELECT days FROM audit_retention WHERE shop_id = $1`, [shopId]);
  return row?.days ?? null;
}

/** Sets (days) or clears (null: back to the default) the shop's retention. */
export async function writeAuditRetention(sql: SqlRunner, shopId: string, days: number | null, now: Date): Promise<void> {
  if (days === null) {
    await sql.query(`DELETE FROM audit_retention WHERE shop_id = $1`, [shopId]);
    return;
  }
  await sql.query(
    `INSERT INTO audit_retention (shop_id, days, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (shop_id) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at`,
    [shopId, days, now],
  );
}
