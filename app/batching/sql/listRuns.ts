import type { SqlRunner } from "../../db/database.server";

export interface RunSummary {
  id: string;
  reason: string;
  status: string;
  mode: string;
  attempts: number;
  watermarkFrom: string;
  watermarkTo: string;
  changesIn: number;
  itemsAfterCoalescing: number;
  sent: number;
  rejected: number;
  failed: number;
  variance: number | null;
  error: string | null;
  manifest: unknown;
  signature: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** A destination's newest runs first. */
export async function listRuns(sql: SqlRunner, destinationId: string, limit: number): Promise<RunSummary[]> {
  return sql.query<RunSummary>(
    `SELECT id::text AS id, reason, status, mode::text AS mode, attempts, watermark_from::text AS "watermarkFrom", watermark_to::text AS "watermarkTo",
       changes_in AS "changesIn", items_after_coalescing AS "itemsAfterCoalescing", sent, rejected, failed, variance, error, manifest, signature,
       started_at AS "startedAt", finished_at AS "finishedAt"
     FROM destination_run WHERE destination_id = $1::uuid ORDER BY id DESC LIMIT $2`,
    [destinationId, limit],
  );
}
