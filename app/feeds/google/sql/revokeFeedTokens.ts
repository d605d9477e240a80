import type { SqlRunner } from "../../../db/database.server";

/** Revokes the feed's live token with this hash, or all of them (null); true when one was revoked. */
export async function revokeFeedTokens(sql: SqlRunner, destinationId: string, tokenHash: string | null, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE feed_token SET revoked_at = $3 WHERE destination_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR token_hash = $2) RETURNING id`,
    [destinationId, tokenHash, now.toISOString()],
  );
  return rows.length > 0;
}
