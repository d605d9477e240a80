import type { SqlRunner } from "../../db/database.server";
import type { ItemKind, ItemOutcome } from "../types";

/** Stores what the receiver answered for items of a run (by variant: SKUs can move). */
export async function reportRunItems(
  sql: SqlRunner,
  runId: string,
  results: Array<{ kind: ItemKind; variantId: string; outcome: ItemOutcome; reason?: string; batchId?: string }>,
): Promise<void> {
  if (results.length === 0) return;
  await sql.query(
    `UPDATE run_item r SET outcome = i.outcome, reason = i.reason, batch_id = coalesce(i.batch_id, r.batch_id)
     FROM json_to_recordset($2::json) AS i(kind text, variant_id uuid, outcome text, reason text, batch_id text)
     WHERE r.run_id = $1::bigint AND r.kind = i.kind AND r.variant_id = i.variant_id`,
    [runId, JSON.stringify(results.map((result) => ({ kind: result.kind, variant_id: result.variantId, outcome: result.outcome, reason: result.reason ?? null, batch_id: result.batchId ?? null })))],
  );
}
