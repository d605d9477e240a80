import type { SqlRunner } from "../../db/database.server";

/** Ends this run of a shop's backfill (not one that took over meanwhile): `done`, or `failed` with the error staff will read. */
export async function finishBackfill(sql: SqlRunner, run: { shopId: string; startedAt: Date }, outcome: { state: "done" } | { state: "failed"; error: string }, now: Date): Promise<void> {
  await sql.query(
    `UPDATE catalog_backfill SET state = $2::"BackfillState", error = $3, finished_at = $4, updated_at = $4 WHERE shop_id = $1 AND state = 'running' AND started_at = $5`,
    [run.shopId, outcome.state, outcome.state === "failed" ? outcome.error : null, now.toISOString(), run.startedAt.toISOString()],
  );
}
