import type { SqlRunner } from "../../db/database.server";
import type { ItemKind, ItemOutcome, PushedItem } from "../types";

/**
 * What earlier attempts of the run recorded for these variants: settled items (accepted, rejected,
 * and those it skipped or found invalid) a resume skips, and the exact state of items sent without a known answer, which a resume sends
 * again as it was (same chunk, same idempotency key) even if the item changed since; the newer
 * change goes with the next run.
 */
export async function priorAttemptItems(sql: SqlRunner, runId: string, kind: ItemKind, variantIds: string[]): Promise<Map<string, { outcome: ItemOutcome; state: PushedItem }>> {
  const rows = await sql.query<{ variant_id: string; outcome: ItemOutcome; state: PushedItem }>(
    `SELECT variant_id, outcome, state FROM run_item
     WHERE run_id = $1::bigint AND kind = $2 AND variant_id = ANY($3::uuid[]) AND outcome IN ('accepted', 'rejected', 'skipped', 'invalid', 'sent', 'to_retry')`,
    [runId, kind, variantIds],
  );
  return new Map(rows.map((row) => [row.variant_id, { outcome: row.outcome, state: row.state }]));
}
