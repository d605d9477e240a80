import type { SqlRunner } from "../../db/database.server";

/**
 * Deletes processed and skipped deliveries stored before `before`, at most `limit` at a time (short
 * transactions). Dead letters stay until replayed. Keep well beyond the platforms' redelivery windows
 * (Shopify 4 h, BigCommerce 48 h): a purged row no longer dedupes a late duplicate.
 */
export async function purgeInboxRows(sql: SqlRunner, before: Date, limit = 5000): Promise<number> {
  const rows = await sql.query(
    `DELETE FROM webhook_inbox WHERE id IN (
       SELECT id FROM webhook_inbox WHERE state IN ('processed', 'skipped') AND stored_at < $1 ORDER BY id LIMIT $2
     ) RETURNING 1`,
    [before.toISOString(), limit],
  );
  return rows.length;
}
