import type { SqlRunner } from "../../db/database.server";

export interface TracedChange {
  id: string;
  kind: string;
  source: string;
  occurredAt: Date;
  capturedAt: Date;
}

/** The newest captured changes of the shop's item with SKU `sku` (what the delayed destinations are sent). */
export async function traceChanges(sql: SqlRunner, shopId: string, sku: string, limit = 20): Promise<TracedChange[]> {
  return sql.query<TracedChange>(
    `SELECT c.id::text AS id, c.kind, c.source, c.occurred_at AS "occurredAt", c.captured_at AS "capturedAt"
     FROM variant v JOIN change_record c ON c.shop_id = v.shop_id AND c.variant_id = v.id
     WHERE v.shop_id = $1 AND v.sku = $2 ORDER BY c.id DESC LIMIT $3`,
    [shopId, sku, limit],
  );
}
