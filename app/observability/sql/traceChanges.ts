import type { SqlRunner } from "../../db/database.server";

export interface TracedChange {
  id: string;
  kind: string;
  sku: string;
  source: string;
  correlationId: string | null;
  occurredAt: Date;
  capturedAt: Date;
}

const COLUMNS = `c.id::text AS id, c.kind, v.sku, c.source, c.correlation_id AS "correlationId", c.occurred_at AS "occurredAt", c.captured_at AS "capturedAt"`;

/** The newest captured changes of the shop's item with SKU `sku` (what the delayed destinations are sent). */
export async function traceChanges(sql: SqlRunner, shopId: string, sku: string, limit = 20): Promise<TracedChange[]> {
  return sql.query<TracedChange>(
    `SELECT ${COLUMNS}
     FROM variant v JOIN change_record c ON c.shop_id = v.shop_id AND c.variant_id = v.id
     WHERE v.shop_id = $1 AND v.sku = $2 ORDER BY c.id DESC LIMIT $3`,
    [shopId, sku, limit],
  );
}

/** The shop's changes captured from the webhook deliveries `correlationIds` (their delivery ids). */
export async function traceCorrelatedChanges(sql: SqlRunner, shopId: string, correlationIds: string[], limit = 100): Promise<TracedChange[]> {
  if (correlationIds.length === 0) return [];
  return sql.query<TracedChange>(
    `SELECT ${COLUMNS}
     FROM change_record c JOIN variant v ON v.id = c.variant_id AND v.shop_id = c.shop_id
     WHERE c.shop_id = $1 AND c.correlation_id = ANY($2::text[]) ORDER BY c.id DESC LIMIT $3`,
    [shopId, correlationIds, limit],
  );
}
