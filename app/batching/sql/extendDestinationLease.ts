import type { SqlRunner } from "../../db/database.server";

/** Keeps a running run's lease; false when another process took it over (the run must stop). */
export async function extendDestinationLease(sql: SqlRunner, id: string, owner: string, until: Date): Promise<boolean> {
  const rows = await sql.query(`UPDATE destination SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 RETURNING 1`, [id, owner, until.toISOString()]);
  return rows.length === 1;
}
