import type { SqlRunner } from "../../db/database.server";

export interface TracedRunItem {
  destination: string;
  destinationId: string;
  runId: string;
  kind: string;
  outcome: string;
  reason: string | null;
  changeId: string;
  at: Date;
}

/** What became of the SKU in the shop's destination runs (delivery results), newest first. */
export async function traceRunItems(sql: SqlRunner, shopId: string, sku: string, limit = 20): Promise<TracedRunItem[]> {
  return sql.query<TracedRunItem>(
    `SELECT d.name AS destination, d.id AS "destinationId", i.run_id::text AS "runId", i.kind, i.outcome, i.reason, i.change_id::text AS "changeId",
            COALESCE(r.finished_at, r.started_at) AS at
     FROM destination d JOIN run_item i ON i.destination_id = d.id JOIN destination_run r ON r.id = i.run_id
     WHERE d.shop_id = $1 AND i.sku = $2 ORDER BY i.run_id DESC LIMIT $3`,
    [shopId, sku, limit],
  );
}
