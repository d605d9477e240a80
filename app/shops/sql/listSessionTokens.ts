import type { SqlRunner } from "../../db/database.server";

export interface StoredSessionTokens {
  id: string;
  accessToken: string;
  refreshToken: string | null;
}

/** Every Shopify session's stored tokens, as they are in the table (sealed or not). */
export async function listSessionTokens(sql: SqlRunner): Promise<StoredSessionTokens[]> {
  return sql.query<StoredSessionTokens>(
    `SELECT id, access_token AS "accessToken", refresh_token AS "refreshToken" FROM session WHERE access_token <> '' OR refresh_token IS NOT NULL ORDER BY id`,
  );
}
