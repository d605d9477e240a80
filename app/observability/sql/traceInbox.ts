import type { SqlRunner } from "../../db/database.server";

export interface TracedDelivery {
  id: string;
  topic: string;
  deliveryId: string;
  state: string;
  attempts: number;
  lastError: string | null;
  receivedAt: Date;
  storedAt: Date | null;
  processedAt: Date | null;
}

/**
 * A shop's webhook deliveries that carry `key`: its delivery or event id, or (last 7 days) a payload
 * that names it (an order id, a SKU). Newest first.
 */
export async function traceInbox(sql: SqlRunner, shopId: string, key: string, limit = 20): Promise<TracedDelivery[]> {
  return sql.query<TracedDelivery>(
    `SELECT id::text AS id, topic, delivery_id AS "deliveryId", state::text AS state, attempts, last_error AS "lastError",
            received_at AS "receivedAt", stored_at AS "storedAt", processed_at AS "processedAt"
     FROM webhook_inbox
     WHERE shop_id = $1 AND (delivery_id = $2 OR event_id = $2 OR (length($2) >= 4 AND received_at > now() - interval '7 days' AND strpos(payload, $2) > 0))
     ORDER BY id DESC LIMIT $3`,
    [shopId, key, limit],
  );
}
