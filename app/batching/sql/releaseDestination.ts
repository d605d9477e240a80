import type { SqlRunner } from "../../db/database.server";

/**
 * Ends a run's lease and sets the next tick. A request staff made while the run went on stays
 * for the next run; the one this run handled is cleared.
 */
export async function releaseDestination(sql: SqlRunner, id: string, owner: string, nextRunAt: Date, handledRequest: string | null): Promise<void> {
  await sql.query(
    `UPDATE destination SET lease_owner = NULL, lease_until = NULL, next_run_at = $3,
       requested_run = CASE WHEN requested_run IS NOT DISTINCT FROM $4 THEN NULL ELSE requested_run END
     WHERE id = $1 AND lease_owner = $2`,
    [id, owner, nextRunAt.toISOString(), handledRequest],
  );
}
