import type { SqlRunner } from "../../db/database.server";

/**
 * Writes, inside the transaction that applies them, one queue row per order event and live
 * destination of the event's shop that receives orders, and for each shadow one the record of what
 * it would have been sent (`shadow_order_event`, never delivered). Rows are numbered in the events'
 * order, so one order's events are delivered in the order applied.
 */
export async function enqueueOrderEvents(
  tx: SqlRunner,
  events: Array<{ shopId: string; orderKey: string; type: string; wireType: string; occurredAt: string; event: unknown }>,
): Promise<{ queued: number; shadowed: number }> {
  if (events.length === 0) return { queued: 0, shadowed: 0 };
  const rows = await tx.query<{ queued: number; shadowed: number }>(
    `WITH targets AS (
       SELECT d.id AS destination_id, d.shop_id, d.mode, r.e, r.n
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS r(e, n)
       JOIN destination d ON d.shop_id = (r.e->>'shopId')::uuid AND d.enabled AND 'orders' = ANY(d.receives)
     ), queued AS (
       INSERT INTO destination_event (destination_id, shop_id, order_key, event_type, event)
       SELECT destination_id, shop_id, e->>'orderKey', e->>'type', e->'event' FROM targets WHERE mode = 'live' ORDER BY n, destination_id
       RETURNING 1
     ), shadowed AS (
       INSERT INTO shadow_order_event (destination_id, shop_id, order_key, type, body)
       SELECT destination_id, shop_id, e->>'orderKey', e->>'wireType', jsonb_build_object('type', e->>'wireType', 'timestamp', e->>'occurredAt', 'data', e->'event')
       FROM targets WHERE mode = 'shadow' ORDER BY n, destination_id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM queued)::int AS queued, (SELECT count(*) FROM shadowed)::int AS shadowed`,
    [JSON.stringify(events)],
  );
  return rows[0]!;
}
