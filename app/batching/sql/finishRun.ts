import type { SqlRunner } from "../../db/database.server";
import type { ManifestCounts, ManifestFile, RunStatus, SignedManifest } from "../types";

/**
 * Closes a run with its counts and signed manifest; a finished run (not `failed`) that covered
 * changes moves the destination's watermark to the end of its range, in the same statement, and
 * updates the destination's retry set: what the run settled leaves it, what it left unsettled
 * (`to_retry`, or sent without an answer) joins it, so nothing is skipped and nothing holds the watermark.
 * A finished run also clears the staff request it answered in the same statement: cleared only when
 * the lease is released, a process dying in between left a full run requested, and the next process
 * ran it again (the chaos run's second full run, every unchanged item pushed twice).
 */
export async function finishRun(
  sql: SqlRunner,
  runId: string,
  outcome: {
    status: RunStatus;
    counts: ManifestCounts;
    files: ManifestFile[];
    signed?: SignedManifest;
    error?: string;
    finishedAt: Date;
    moveWatermark: boolean;
    /** The staff request the run answered (`full`, `sync_now`, `rollback:<id>`): cleared with the finish, unless made again since as another request. */
    handledRequest?: string | null;
  },
): Promise<void> {
  await sql.query(
    `WITH run AS (
       UPDATE destination_run SET status = $2, changes_in = $3, items_after_coalescing = $4, sent = $5, rejected = $6, failed = $7,
         files = $8::jsonb, manifest = $9::jsonb, signature = $10, error = $11, finished_at = $12
       WHERE id = $1::bigint RETURNING destination_id, watermark_to
     ), settled AS (
       -- Items this run settled leave the destination's retry set…
       DELETE FROM destination_retry r USING run_item i
       WHERE $13::boolean AND i.run_id = $1::bigint AND r.destination_id = i.destination_id AND r.kind = i.kind AND r.variant_id = i.variant_id
         AND i.outcome IN ('accepted', 'rejected', 'invalid', 'skipped')
     ), carried AS (
       -- …and those it leaves unsettled join it: the watermark moves, the next runs send them again.
       INSERT INTO destination_retry (destination_id, kind, variant_id, sku, first_run_id, last_run_id, reason)
       SELECT i.destination_id, i.kind, i.variant_id, i.sku, i.run_id, i.run_id, i.reason
       FROM run_item i WHERE $13::boolean AND i.run_id = $1::bigint AND i.outcome IN ('to_retry', 'sent')
       ON CONFLICT (destination_id, kind, variant_id) DO UPDATE SET
         sku = EXCLUDED.sku, last_run_id = EXCLUDED.last_run_id, runs = destination_retry.runs + 1, reason = EXCLUDED.reason
     )
     UPDATE destination d SET
       watermark = CASE WHEN $13::boolean THEN greatest(d.watermark, run.watermark_to) ELSE d.watermark END,
       requested_run = CASE WHEN $14::text IS NOT NULL AND d.requested_run IS NOT DISTINCT FROM $14::text THEN NULL ELSE d.requested_run END
     FROM run WHERE d.id = run.destination_id AND ($13::boolean OR $14::text IS NOT NULL)`,
    [
      runId,
      outcome.status,
      outcome.counts.changesIn,
      outcome.counts.itemsAfterCoalescing,
      outcome.counts.sent,
      outcome.counts.rejected,
      outcome.counts.failed,
      JSON.stringify(outcome.files),
      outcome.signed ? JSON.stringify(outcome.signed.manifest) : null,
      outcome.signed?.signature ?? null,
      outcome.error ?? null,
      outcome.finishedAt.toISOString(),
      outcome.moveWatermark,
      outcome.status === "failed" ? null : outcome.handledRequest ?? null,
    ],
  );
}
