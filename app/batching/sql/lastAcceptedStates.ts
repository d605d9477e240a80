import type { SqlRunner } from "../../db/database.server";
import type { ItemKind, PushedItem } from "../types";

/**
 * What the destination last accepted of these variants in other runs (its newest accepted
 * `run_item` each, with the run): a delta skips an item whose version and state it already holds.
 * One backward probe of the (destination, kind, variant, run) index per variant.
 */
export async function lastAcceptedStates(
  sql: SqlRunner,
  destinationId: string,
  kind: ItemKind,
  runId: string,
  variantIds: string[],
): Promise<Map<string, { runId: string; state: PushedItem }>> {
  if (variantIds.length === 0) return new Map();
  const rows = await sql.query<{ variantId: string; runId: string; state: PushedItem }>(
    `SELECT v.variant_id AS "variantId", a.run_id::text AS "runId", a.state
     FROM unnest($4::uuid[]) AS v(variant_id)
     CROSS JOIN LATERAL (
       SELECT run_id, state FROM run_item
       WHERE destination_id = $1::uuid AND kind = $2 AND variant_id = v.variant_id AND run_id <> $3::bigint AND outcome = 'accepted'
       ORDER BY run_id DESC LIMIT 1
     ) a`,
    [destinationId, kind, runId, variantIds],
  );
  return new Map(rows.map((row) => [row.variantId, { runId: row.runId, state: row.state }]));
}
