import type { SqlRunner } from "../../db/database.server";

/**
 * Records a callback token as used; false when it already was (a replay, or a token of one callback
 * brought to another). Expired tokens are dropped on the way: they are refused before this anyway.
 */
export async function claimCallbackToken(sql: SqlRunner, jti: string, expiresAt: Date): Promise<boolean> {
  const rows = await sql.query<{ jti: string }>(
    `WITH expired AS (DELETE FROM used_callback_token WHERE expires_at < now())
     INSERT INTO used_callback_token (jti, expires_at) VALUES ($1, $2)
     ON CONFLICT (jti) DO NOTHING
     RETURNING jti`,
    [jti, expiresAt],
  );
  return rows.length === 1;
}
