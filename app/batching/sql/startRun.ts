import type { Sql, SqlRunner } from "../../db/database.server";
import type { RunReason } from "../types";
import { CAPTURE_LOCK_CLASS } from "./captureChanges";

export interface RunRow {
  id: string;
  reason: RunReason;
  attempts: number;
  watermarkFrom: string;
  watermarkTo: string;
  rollbackOf: string | null;
}

const RUN_COLUMNS = `id::text AS id, reason, attempts, watermark_from::text AS "watermarkFrom", watermark_to::text AS "watermarkTo", rollback_of::text AS "rollbackOf"`;

/**
 * The run to do now: the destination's unfinished one (a run that failed part-way, or whose
 * process died) resumed as its next attempt with the same range, or a new one covering the
 * changes after the watermark up to the newest (a rollback covers none).
 *
 * A rollback is not held behind an unfinished delta run: it resumes only an unfinished rollback of
 * the same run, else starts. The failed run stays and is resumed by the next other run; the two
 * touch different items (the rollback skips every item captured or accepted after the run it
 * rolls back, and the failed run's items all are).
 *
 * A new run's range ends at the newest change id committed while no capture of the shop is open:
 * the shop's capture lock, taken exclusively first (captureChanges.ts holds it shared until commit),
 * waits out the open captures, and the next statement's snapshot sees every id they took.
 */
export async function startRun(sql: Sql, destinationId: string, reason: RunReason, rollbackOf: string | null): Promise<RunRow> {
  return sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${CAPTURE_LOCK_CLASS}, hashtext(shop_id::text)) FROM destination WHERE id = $1`, [destinationId]);
    return startRunStatement(tx, destinationId, reason, rollbackOf);
  });
}

async function startRunStatement(sql: SqlRunner, destinationId: string, reason: RunReason, rollbackOf: string | null): Promise<RunRow> {
  const rows = await sql.query<RunRow>(
    `WITH unfinished AS (
       UPDATE destination_run SET attempts = attempts + 1, status = 'running', error = NULL
       WHERE id = (SELECT id FROM destination_run WHERE destination_id = $1 AND status IN ('running', 'failed') AND ($3::bigint IS NULL OR rollback_of = $3::bigint) ORDER BY id LIMIT 1)
       RETURNING ${RUN_COLUMNS}
     ), started AS (
       INSERT INTO destination_run (destination_id, shop_id, reason, mode, watermark_from, watermark_to, rollback_of)
       SELECT d.id, d.shop_id, $2, d.mode, d.watermark,
         CASE WHEN $3::bigint IS NULL THEN greatest(d.watermark, COALESCE((SELECT max(id) FROM change_record WHERE shop_id = d.shop_id), 0)) ELSE d.watermark END,
         $3::bigint
       FROM destination d WHERE d.id = $1 AND NOT EXISTS (SELECT 1 FROM unfinished)
       RETURNING ${RUN_COLUMNS}
     )
     SELECT * FROM unfinished UNION ALL SELECT * FROM started`,
    [destinationId, reason, rollbackOf],
  );
  return rows[0]!;
}
