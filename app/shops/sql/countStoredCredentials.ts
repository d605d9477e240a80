import type { SqlRunner } from "../../db/database.server";

/** How many platform credentials the database holds (Shopify session tokens, BigCommerce store tokens). */
export async function countStoredCredentials(sql: SqlRunner): Promise<number> {
  const [row] = await sql.query<{ stored: number }>(
    `SELECT ((SELECT count(*) FROM session WHERE access_token <> '' OR refresh_token IS NOT NULL)
           + (SELECT count(*) FROM shop WHERE access_token_sealed IS NOT NULL))::int AS stored`,
  );
  return row!.stored;
}
