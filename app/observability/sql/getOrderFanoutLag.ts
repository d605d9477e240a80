import type { SqlRunner } from "../../db/database.server";

export interface OrderFanoutLag {
  id: string;
  name: string;
  waiting: number;
  oldest: Date | null;
  dead: number;
}

/** Per enabled destination that receives orders: its undelivered order events (count, oldest) and dead ones. */
export async function getOrderFanoutLag(sql: SqlRunner, shopId: string | null): Promise<OrderFanoutLag[]> {
  return sql.query<OrderFanoutLag>(
    `SELECT d.id, d.name,
       count(e.id) FILTER (WHERE e.state IN ('pending', 'processing'))::int AS waiting,
       min(e.created_at) FILTER (WHERE e.state IN ('pending', 'processing')) AS oldest,
       count(e.id) FILTER (WHERE e.state = 'dead')::int AS dead
     FROM destination d LEFT JOIN destination_event e ON e.destination_id = d.id AND e.state IN ('pending', 'processing', 'dead')
     WHERE d.enabled AND 'orders' = ANY(d.receives) AND ($1::uuid IS NULL OR d.shop_id = $1)
     GROUP BY d.id, d.name ORDER BY d.name`,
    [shopId],
  );
}
