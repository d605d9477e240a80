import type { SqlRunner } from "../../../db/database.server";

/** Whether a token with this hash opens the feed at `now`: not revoked, not past its overlap. */
export async function findLiveFeedToken(sql: SqlRunner, destinationId: string, tokenHash: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `SELECT 1 FROM feed_token WHERE token_hash = $1 AND destination_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)`,
    [tokenHash, destinationId, now.toISOString()],
  );
  return rows.length > 0;
}
