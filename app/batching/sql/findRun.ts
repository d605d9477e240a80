import type { SqlRunner } from "../../db/database.server";
import type { RunRow } from "./startRun";

/** A finished run (succeeded or partial) of the destination, for a rollback. */
export async function findRun(sql: SqlRunner, destinationId: string, runId: string): Promise<(RunRow & { shopId: string }) | undefined> {
  const rows = await sql.query<RunRow & { shopId: string }>(
    `SELECT id::text AS id, reason, attempts, watermark_from::text AS "watermarkFrom", watermark_to::text AS "watermarkTo", rollback_of::text AS "rollbackOf", shop_id AS "shopId"
     FROM destination_run WHERE destination_id = $1::uuid AND id = $2::bigint AND status IN ('succeeded', 'partial')`,
    [destinationId, runId],
  );
  return rows[0];
}
