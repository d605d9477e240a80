import type { SqlRunner } from "../../../db/database.server";

/** A new `building` snapshot of one run attempt; its id. */
export async function insertSnapshot(sql: SqlRunner, destinationId: string, runId: string): Promise<string> {
  const [row] = await sql.query<{ id: string }>(`INSERT INTO feed_snapshot (destination_id, run_id) VALUES ($1, $2::bigint) RETURNING id::text`, [destinationId, runId]);
  return row!.id;
}
