import type { SqlRunner } from "../../db/database.server";

export interface RunItemView {
  kind: string;
  sku: string;
  outcome: string;
  reason: string | null;
  batchId: string | null;
}

/** A run's items with the given outcomes (rejected and invalid ones for staff), by SKU; scoped to the destination. */
export async function listRunItems(sql: SqlRunner, destinationId: string, runId: string, outcomes: string[], limit = 200): Promise<RunItemView[]> {
  return sql.query<RunItemView>(
    `SELECT kind, sku, outcome, reason, batch_id AS "batchId" FROM run_item
     WHERE destination_id = $1::uuid AND run_id = $2::bigint AND outcome = ANY($3::text[]) ORDER BY sku, kind LIMIT $4`,
    [destinationId, runId, outcomes, limit],
  );
}
