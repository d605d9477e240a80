import type { SqlRunner } from "../../db/database.server";

// The session id is Shopify's `offline_{shop domain}` (see readOfflineToken.ts).

/** An installed Shopify shop's domain and stored (sealed) offline token; undefined for any other shop or one without a session. */
export async function readShopifyAccess(sql: SqlRunner, shopId: string): Promise<{ shopDomain: string; sealedToken: string } | undefined> {
  const rows = await sql.query<{ shopDomain: string; sealedToken: string }>(
    `SELECT s.domain AS "shopDomain", se.access_token AS "sealedToken" FROM shop s JOIN session se ON se.id = 'offline_' || s.domain AND se.access_token <> ''
     WHERE s.id = $1::uuid AND s.platform = 'shopify' AND s.install_state = 'installed'`,
    [shopId],
  );
  return rows[0];
}
