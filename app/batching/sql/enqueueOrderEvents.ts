import type { SqlRunner } from "../../db/database.server";

/**
 * Writes, inside the transaction that applies them, one queue row per order event and destination
 * of the event's shop that receives orders (enabled and live: shadow destinations are sent nothing).
 * Rows are numbered in the events' order, so one order's events are delivered in the order applied.
 */
export async function enqueueOrderEvents(tx: SqlRunner, events: Array<{ shopId: string; orderKey: string; type: string; event: unknown }>): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await tx.query(
    `INSERT INTO destination_event (destination_id, shop_id, order_key, event_type, event)
     SELECT d.id, d.shop_id, r.e->>'orderKey', r.e->>'type', r.e->'event'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS r(e, n)
     JOIN destination d ON d.shop_id = (r.e->>'shopId')::uuid AND d.enabled AND d.mode = 'live' AND 'orders' = ANY(d.receives)
     ORDER BY r.n, d.id
     RETURNING 1`,
    [JSON.stringify(events)],
  );
  return rows.length;
}
