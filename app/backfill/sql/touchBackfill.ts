import type { SqlRunner } from "../../db/database.server";

/** Shows a run is alive while it waits on the platform (no batch moves its row then). False when another run took over. */
export async function touchBackfill(sql: SqlRunner, run: { shopId: string; startedAt: Date }, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE catalog_backfill SET updated_at = $3 WHERE shop_id = $1 AND state = 'running' AND started_at = $2 RETURNING 1`,
    [run.shopId, run.startedAt.toISOString(), now.toISOString()],
  );
  return rows.length === 1;
}
