import type { SqlRunner } from "../../db/database.server";

/** Shopify's id for a shop's offline session (the one the app's background work uses). */
export function offlineSessionId(shopDomain: string): string {
  return `offline_${shopDomain}`;
}

/** The stored (sealed) access token of the shop's offline Shopify session; undefined when it has none. */
export async function readOfflineToken(sql: SqlRunner, shopDomain: string): Promise<string | undefined> {
  const rows = await sql.query<{ access_token: string }>(`SELECT access_token FROM session WHERE id = $1 AND access_token <> ''`, [offlineSessionId(shopDomain)]);
  return rows[0]?.access_token;
}
