import type { SqlRunner } from "../../../db/database.server";

/** Revokes one token of the feed by its row id (staff never hold the token itself); false when it was not live. */
export async function revokeFeedTokenById(sql: SqlRunner, destinationId: string, tokenId: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE feed_token SET revoked_at = $3 WHERE destination_id = $1::uuid AND id = $2::bigint AND revoked_at IS NULL RETURNING id`,
    [destinationId, tokenId, now.toISOString()],
  );
  return rows.length > 0;
}
