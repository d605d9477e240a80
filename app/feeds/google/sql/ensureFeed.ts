import type { SqlRunner } from "../../../db/database.server";

/** The feed's row, serving nothing until its first publish; an existing row is left as it is. */
export async function ensureFeed(sql: SqlRunner, destinationId: string): Promise<void> {
  await sql.query(`INSERT INTO feed (destination_id) VALUES ($1) ON CONFLICT (destination_id) DO NOTHING`, [destinationId]);
}
