import type { SqlRunner } from "../../db/database.server";
import type { ManifestCounts, ManifestFile, RunStatus, SignedManifest } from "../types";

/**
 * Closes a run with its counts and signed manifest; a finished run (not `failed`) that covered
 * changes moves the destination's watermark to the end of its range, in the same statement.
 */
export async function finishRun(
  sql: SqlRunner,
  runId: string,
  outcome: { status: RunStatus; counts: ManifestCounts; files: ManifestFile[]; signed?: SignedManifest; error?: string; finishedAt: Date; moveWatermark: boolean },
): Promise<void> {
  await sql.query(
    `WITH run AS (
       UPDATE destination_run SET status = $2, changes_in = $3, items_after_coalescing = $4, sent = $5, rejected = $6, failed = $7,
         files = $8::jsonb, manifest = $9::jsonb, signature = $10, error = $11, finished_at = $12
       WHERE id = $1::bigint RETURNING destination_id, watermark_to
     )
     UPDATE destination d SET watermark = greatest(d.watermark, run.watermark_to)
     FROM run WHERE d.id = run.destination_id AND $13::boolean`,
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
    ],
  );
}
