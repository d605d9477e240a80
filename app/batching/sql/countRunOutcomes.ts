import type { SqlRunner } from "../../db/database.server";
import type { ItemOutcome } from "../types";

export async function countRunOutcomes(sql: SqlRunner, runId: string): Promise<Partial<Record<ItemOutcome, number>>> {
  const rows = await sql.query<{ outcome: ItemOutcome; count: number }>(`SELECT outcome, count(*)::int AS count FROM run_item WHERE run_id = $1::bigint GROUP BY outcome`, [runId]);
  return Object.fromEntries(rows.map((row) => [row.outcome, row.count]));
}
