import type { SqlRunner } from "../../db/database.server";
import type { ItemKind } from "../types";

/** Which of these variants a previous attempt of the run already settled (accepted or rejected): a resume skips them. */
export async function settledRunItems(sql: SqlRunner, runId: string, kind: ItemKind, variantIds: string[]): Promise<Set<string>> {
  const rows = await sql.query<{ variant_id: string }>(
    `SELECT variant_id FROM run_item WHERE run_id = $1::bigint AND kind = $2 AND variant_id = ANY($3::uuid[]) AND outcome IN ('accepted', 'rejected')`,
    [runId, kind, variantIds],
  );
  return new Set(rows.map((row) => row.variant_id));
}
