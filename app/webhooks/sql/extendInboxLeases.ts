import type { SqlRunner } from "../../db/database.server";

/** Renews `workerId`'s leases on rows it still holds (slow read-backs); rows already lost stay lost. */
export async function extendInboxLeases(sql: SqlRunner, workerId: string, inboxIds: string[], leaseMs: number): Promise<number> {
  const rows = await sql.query(
    `UPDATE webhook_inbox SET locked_until = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = ANY($2::bigint[]) AND state = 'processing' AND locked_by = $1
     RETURNING id`,
    [workerId, inboxIds, leaseMs],
  );
  return rows.length;
}
