import type { SqlRunner } from "../../db/database.server";
import { claimDueRowsSql } from "../../db/claimDueRows";

export interface ClaimedOrderEvent {
  id: string;
  destinationId: string;
  orderKey: string;
  eventType: string;
  event: Record<string, unknown>;
  /** This claim included. */
  attempts: number;
}

// Only the oldest row of each destination and order is due: an order's later event waits until the
// earlier one is delivered (deleted), and behind it while it is a dead letter (until replayed).
const CLAIM = claimDueRowsSql("destination_event", {
  select: `i.id::text AS id, i.destination_id::text AS "destinationId", i.order_key AS "orderKey", i.event_type AS "eventType", i.event, i.attempts`,
  where: `NOT EXISTS (SELECT 1 FROM destination_event earlier
            WHERE earlier.destination_id = destination_event.destination_id AND earlier.order_key = destination_event.order_key AND earlier.id < destination_event.id)`,
});

/**
 * Leases up to `limit` due order events to `workerId` (the inbox's lease design, claimDueRows.ts):
 * pending rows whose time came and rows whose worker's lease ran out, each the head of its order.
 */
export async function claimOrderEvents(sql: SqlRunner, workerId: string, limit: number, leaseMs: number, maxLeaseExpiries: number): Promise<ClaimedOrderEvent[]> {
  return sql.query<ClaimedOrderEvent>(CLAIM, [workerId, limit, leaseMs, maxLeaseExpiries]);
}
