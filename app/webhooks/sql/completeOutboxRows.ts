import type { SqlRunner } from "../../db/database.server";

/** Forgets owed calls that were made, only those `workerId` still holds the lease of. */
export async function completeOutboxRows(sql: SqlRunner, workerId: string, ids: string[]): Promise<number> {
  const rows = await sql.query(`DELETE FROM webhook_outbox WHERE id = ANY($2::bigint[]) AND state = 'processing' AND locked_by = $1 RETURNING 1`, [workerId, ids]);
  return rows.length;
}
