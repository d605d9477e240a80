import type { SqlRunner } from "../../../db/database.server";

/** The feed's live tokens stop at `until` (a rotation's overlap); one already ending sooner keeps its earlier end. */
export async function expireFeedTokens(sql: SqlRunner, destinationId: string, until: Date): Promise<void> {
  await sql.query(
    `UPDATE feed_token SET expires_at = LEAST(COALESCE(expires_at, $2::timestamptz), $2::timestamptz) WHERE destination_id = $1 AND revoked_at IS NULL`,
    [destinationId, until.toISOString()],
  );
}
