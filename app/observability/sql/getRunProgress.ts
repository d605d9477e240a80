import type { SqlRunner } from "../../db/database.server";

export interface RunProgressRow {
  runId: string;
  reason: string;
  startedAt: Date;
  /** Items the run has reported on so far (its delivery results). */
  done: number;
  /** Items it has to send: every variant per kind for a full run, the rolled-back run's items, else the range's changed items and the owed retries. */
  total: number;
}

/** The running run of one of the shop's destinations, with how many items it has done of how many; undefined when none runs. */
export async function getRunProgress(sql: SqlRunner, shopId: string, destinationId: string): Promise<RunProgressRow | undefined> {
  const [row] = await sql.query<RunProgressRow>(
    `WITH run AS (
       SELECT r.id, r.reason, r.started_at, r.watermark_from, r.watermark_to, r.rollback_of, d.receives
       FROM destination_run r JOIN destination d ON d.id = r.destination_id
       WHERE r.destination_id = $2 AND d.shop_id = $1 AND r.status = 'running'
       ORDER BY r.id DESC LIMIT 1)
     SELECT run.id::text AS "runId", run.reason, run.started_at AS "startedAt",
       (SELECT count(*) FROM run_item i WHERE i.run_id = run.id)::int AS done,
       (CASE
          WHEN run.reason = 'full' THEN (SELECT count(*) FROM variant v WHERE v.shop_id = $1) * (SELECT count(*) FROM unnest(run.receives) k WHERE k IN ('catalog', 'price', 'stock'))
          WHEN run.rollback_of IS NOT NULL THEN (SELECT count(*) FROM run_item i WHERE i.run_id = run.rollback_of)
          ELSE (SELECT count(*) FROM change_latest l WHERE l.shop_id = $1 AND l.kind = ANY(run.receives) AND l.change_id > run.watermark_from AND l.change_id <= run.watermark_to)
             + (SELECT count(*) FROM destination_retry t WHERE t.destination_id = $2)
        END)::int AS total
     FROM run`,
    [shopId, destinationId],
  );
  return row;
}
