import type { SqlRunner } from "../../db/database.server";
import type { ItemKind, PushedItem } from "../types";

/** The next page of a run's items with the given outcome (accepted, or shadow), for reconciliation. */
export async function readSentItems(sql: SqlRunner, runId: string, kind: ItemKind, outcome: "accepted" | "shadow", after: string, limit: number): Promise<Array<{ variantId: string; state: PushedItem }>> {
  return sql.query(
    `SELECT variant_id AS "variantId", state FROM run_item
     WHERE run_id = $1::bigint AND kind = $2 AND outcome = $3 AND variant_id > $4::uuid ORDER BY variant_id LIMIT $5`,
    [runId, kind, outcome, after, limit],
  );
}
