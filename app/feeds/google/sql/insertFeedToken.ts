import type { SqlRunner } from "../../../db/database.server";

/** Stores a new token of the feed by its SHA-256 (the token itself is never stored). */
export async function insertFeedToken(sql: SqlRunner, destinationId: string, tokenHash: string): Promise<void> {
  await sql.query(`INSERT INTO feed_token (destination_id, token_hash) VALUES ($1, $2)`, [destinationId, tokenHash]);
}
