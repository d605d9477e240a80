import type { SqlRunner } from "../../db/database.server";

export interface TracedOrderEvent {
  destination: string;
  eventType: string;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  deadAt: Date | null;
}

/** Order events owed to the shop's destinations for order `key` (its id, or the end of its gid); delivered ones are deleted. */
export async function traceOrderEvents(sql: SqlRunner, shopId: string, key: string, limit = 50): Promise<TracedOrderEvent[]> {
  return sql.query<TracedOrderEvent>(
    `SELECT d.name AS destination, e.event_type AS "eventType", e.state::text AS state, e.attempts, e.last_error AS "lastError", e.created_at AS "createdAt", e.dead_at AS "deadAt"
     FROM destination_event e JOIN destination d ON d.id = e.destination_id AND d.shop_id = e.shop_id
     WHERE e.shop_id = $1 AND (e.order_key = $2 OR right(e.order_key, length($2) + 1) = '/' || $2)
     ORDER BY e.id DESC LIMIT $3`,
    [shopId, key, limit],
  );
}
