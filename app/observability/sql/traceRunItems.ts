import type { SqlRunner } from "../../db/database.server";

export interface TracedRunItem {
  destination: string;
  destinationId: string;
  runId: string;
  kind: string;
  sku: string;
  outcome: string;
  reason: string | null;
  /** The request (chunk) that carried the item to the destination, when the adapter names one. */
  batchId: string | null;
  /** The change the run sent (the item's newest in the run's range). */
  changeId: string;
  /** The traced change the run carried, when looked up by change (it may have been coalesced into `changeId`). */
  tracedChangeId: string | null;
  at: Date;
}

const COLUMNS = `d.name AS destination, d.id AS "destinationId", i.run_id::text AS "runId", i.kind, i.sku, i.outcome, i.reason, i.batch_id AS "batchId",
            i.change_id::text AS "changeId", COALESCE(r.finished_at, r.started_at) AS at`;

/** What became of the SKU in the shop's destination runs (delivery results), newest first. */
export async function traceRunItems(sql: SqlRunner, shopId: string, sku: string, limit = 20): Promise<TracedRunItem[]> {
  return sql.query<TracedRunItem>(
    `SELECT ${COLUMNS}, NULL AS "tracedChangeId"
     FROM destination d JOIN run_item i ON i.destination_id = d.id JOIN destination_run r ON r.id = i.run_id
     WHERE d.shop_id = $1 AND i.sku = $2 ORDER BY i.run_id DESC LIMIT $3`,
    [shopId, sku, limit],
  );
}

/**
 * The run items that carried the shop's changes `changeIds`: the item of the change's variant and
 * kind in a run whose range holds the change (coalesced with later ones, it is sent once, under the
 * newest change id), or a later run that sent that very change again (a retry).
 */
export async function traceRunsOfChanges(sql: SqlRunner, shopId: string, changeIds: string[], limit = 100): Promise<TracedRunItem[]> {
  if (changeIds.length === 0) return [];
  return sql.query<TracedRunItem>(
    `SELECT ${COLUMNS}, c.id::text AS "tracedChangeId"
     FROM change_record c
     JOIN destination d ON d.shop_id = c.shop_id
     JOIN run_item i ON i.destination_id = d.id AND i.kind = c.kind AND i.variant_id = c.variant_id
     JOIN destination_run r ON r.id = i.run_id
     WHERE c.shop_id = $1 AND c.id = ANY($2::bigint[])
       AND (i.change_id = c.id OR (c.id > r.watermark_from AND c.id <= r.watermark_to))
     ORDER BY i.run_id DESC LIMIT $3`,
    [shopId, changeIds, limit],
  );
}
