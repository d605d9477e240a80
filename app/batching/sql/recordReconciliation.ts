import type { SqlRunner } from "../../db/database.server";

export interface Mismatch {
  kind: string;
  sku: string;
  sent: unknown;
  held: unknown;
}

/** Stores a run's variance; above the destination's threshold also an alert listing the items. */
export async function recordReconciliation(
  sql: SqlRunner,
  run: { id: string; destinationId: string },
  result: { variance: number; mismatched: number; compared: number; items: Mismatch[]; alert: boolean },
): Promise<void> {
  await sql.query(
    `WITH run AS (UPDATE destination_run SET variance = $3 WHERE id = $1::bigint RETURNING id)
     INSERT INTO reconciliation_alert (run_id, destination_id, variance, mismatched, sent, items)
     SELECT $1::bigint, $2::uuid, $3, $4, $5, $6::jsonb FROM run WHERE $7::boolean`,
    [run.id, run.destinationId, result.variance, result.mismatched, result.compared, JSON.stringify(result.items), result.alert],
  );
}
