import type { SqlRunner } from "../../db/database.server";
import type { StoredSessionTokens } from "./listSessionTokens";

/**
 * Writes a session's tokens in their new form, only if they are still what was read (`before`):
 * a session that another process replaced meanwhile is left alone. True when it was written.
 */
export async function replaceSessionTokens(sql: SqlRunner, before: StoredSessionTokens, after: Omit<StoredSessionTokens, "id">): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE session SET access_token = $2, refresh_token = $3
     WHERE id = $1 AND access_token = $4 AND refresh_token IS NOT DISTINCT FROM $5 RETURNING id`,
    [before.id, after.accessToken, after.refreshToken, before.accessToken, before.refreshToken],
  );
  return rows.length === 1;
}
