import type { SqlRunner } from "../../db/database.server";

/** Retention: deletes the entries older than `before`; returns how many went. */
export async function deleteAuditEntriesBefore(sql: SqlRunner, before: Date): Promise<number> {
  const rows = await sql.query<{ count: number }>(`WITH gone AS (DELETE FROM audit_entry WHERE at < $1 RETURNING 1) SELECT count(*)::int AS count FROM gone`, [before]);
  return rows[0]?.count ?? 0;
}
