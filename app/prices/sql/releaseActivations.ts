import type { SqlRunner } from "../../db/database.server";

/**
 * Hands back activations this worker claimed ahead of their time and has not pushed (it is
 * stopping): pending again, the claim's attempt not counted, so another worker takes them at their
 * boundary instead of after the lease. Only the lease holder's rows move.
 */
export async function releaseActivations(sql: SqlRunner, workerId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await sql.query(
    `UPDATE price_activation SET state = 'pending', locked_by = NULL, locked_until = NULL, attempts = greatest(0, attempts - 1)
     WHERE id = ANY($2::bigint[]) AND state = 'processing' AND locked_by = $1
     RETURNING id`,
    [workerId, ids],
  );
  return rows.length;
}
