import type { SqlRunner } from "../../db/database.server";
import type { ItemKind, PushedItem } from "../types";

/** The items of a run sent without a known answer or owed again (`sent`, `to_retry`), with the state each went in, a page in variant order after `after`. */
export async function unsettledRunItems(sql: SqlRunner, runId: string, kind: ItemKind, after: string, limit: number): Promise<Array<{ variantId: string; state: PushedItem }>> {
  return sql.query<{ variantId: string; state: PushedItem }>(
    `SELECT variant_id AS "variantId", state FROM run_item
     WHERE run_id = $1::bigint AND kind = $2 AND outcome IN ('sent', 'to_retry') AND state IS NOT NULL AND variant_id > $3::uuid
     ORDER BY variant_id LIMIT $4`,
    [runId, kind, after, limit],
  );
}
