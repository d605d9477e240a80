import type { SqlRunner } from "../../db/database.server";

export interface ShadowOrderEvent {
  id: string;
  orderKey: string;
  type: string;
  /** What a live destination would have been sent: {"type", "timestamp", "data"}. */
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  createdAt: Date;
}

/** What a shadow destination would have been sent, newest first. */
export async function listShadowOrderEvents(sql: SqlRunner, destinationId: string, limit = 100): Promise<ShadowOrderEvent[]> {
  return sql.query<ShadowOrderEvent>(
    `SELECT id::text AS id, order_key AS "orderKey", type, body, created_at AS "createdAt" FROM shadow_order_event
     WHERE destination_id = $1::uuid ORDER BY id DESC LIMIT $2`,
    [destinationId, limit],
  );
}
