import type { SqlRunner } from "../../db/database.server";

/**
 * Retention: deletes each shop's entries older than its own retention (audit_retention) or, without
 * one, `defaultDays`, counted back from `now`; returns how many went.
 */
export async function deleteExpiredAuditEntries(sql: SqlRunner, now: Date, defaultDays: number): Promise<number> {
  const rows = await sql.query<{ count: number }>(
    `WITH gone AS (
       DELETE FROM audit_entry a
       WHERE a.at < $1::timestamptz - make_interval(days => COALESCE((SELECT r.days FROM audit_retention r WHERE r.shop_id = a.shop_id), $2::int))
       RETURNING 1)
     SELECT count(*)::int AS count FROM gone`,
    [now, defaultDays],
  );
  return rows[0]?.count ?? 0;
}
