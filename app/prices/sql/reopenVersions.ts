import type { SqlRunner } from "../../db/database.server";
import { inChunks } from "../chunks";

/**
 * Undoes a planned close that has not happened yet: the version of each (item, list) that ends at
 * `closedAt` (still in the future) runs until `until` again (null: open). Used when the sale that
 * closed it is cancelled or moved before its start. One statement per ~1,000 rows.
 */
export async function reopenVersions(tx: SqlRunner, shopId: string, reopen: Array<{ variantId: string; list: string; closedAt: Date; until: Date | null }>): Promise<number> {
  const rows = await inChunks(reopen, (chunk) =>
    tx.query(
      `WITH r AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS r(variant_id, list, closed_at, until)),
       closed AS (
         SELECT o.id, r.until FROM r CROSS JOIN LATERAL (
           SELECT pv.id FROM price_version pv
           WHERE pv.shop_id = $1 AND pv.variant_id = r.variant_id AND pv.list = r.list AND pv.superseded_at IS NULL
             AND pv.valid_to = r.closed_at AND r.closed_at > now()
           LIMIT 1
         ) o
       )
       UPDATE price_version pv SET valid_to = closed.until FROM closed WHERE pv.id = closed.id
       RETURNING pv.id`,
      [shopId, chunk.map((r) => r.variantId), chunk.map((r) => r.list), chunk.map((r) => r.closedAt.toISOString()), chunk.map((r) => r.until?.toISOString() ?? null)],
    ),
  );
  return rows.length;
}
