import type { SqlRunner } from "../../db/database.server";

export interface OrderEventDeadLetter {
  id: string;
  destinationId: string;
  orderKey: string;
  eventType: string;
  attempts: number;
  lastError: string | null;
  replayCount: number;
  createdAt: Date;
  deadAt: Date | null;
  /** Later events of the same order held behind this one until it is replayed. */
  waitingBehind: number;
}

/** Dead order events of a destination (or of every destination of a shop), newest first. */
export async function listOrderEventDeadLetters(sql: SqlRunner, filter: { destinationId?: string; shopId?: string; limit?: number }): Promise<OrderEventDeadLetter[]> {
  return sql.query<OrderEventDeadLetter>(
    `SELECT e.id::text AS id, e.destination_id::text AS "destinationId", e.order_key AS "orderKey", e.event_type AS "eventType", e.attempts,
       e.last_error AS "lastError", e.replay_count AS "replayCount", e.created_at AS "createdAt", e.dead_at AS "deadAt",
       (SELECT count(*)::int FROM destination_event later WHERE later.destination_id = e.destination_id AND later.order_key = e.order_key AND later.id > e.id) AS "waitingBehind"
     FROM destination_event e
     WHERE e.state = 'dead' AND ($1::uuid IS NULL OR e.destination_id = $1::uuid) AND ($2::uuid IS NULL OR e.shop_id = $2::uuid)
     ORDER BY e.dead_at DESC, e.id DESC
     LIMIT $3`,
    [filter.destinationId ?? null, filter.shopId ?? null, filter.limit ?? 100],
  );
}

/**
 * Puts dead order events back in the queue (pending, attempts and lease expiries from zero, the
 * replay counted): the selected ids, or every dead event of the destination. Returns the ids and
 * their shop (for the audit entry; `replayOrderEvents` in orderEvents.server.ts is the way in).
 */
export async function replayOrderEventDeadLetters(sql: SqlRunner, selection: { destinationId: string; ids?: string[] }): Promise<{ ids: string[]; shopId: string | undefined }> {
  const rows = await sql.query<{ id: string; shopId: string }>(
    `UPDATE destination_event SET state = 'pending', attempts = 0, lease_expiries = 0, run_at = now(), dead_at = NULL, replay_count = replay_count + 1
     WHERE state = 'dead' AND destination_id = $1::uuid AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
     RETURNING id::text AS id, shop_id::text AS "shopId"`,
    [selection.destinationId, selection.ids ?? null],
  );
  return { ids: rows.map((row) => row.id).sort((a, b) => Number(BigInt(a) - BigInt(b))), shopId: rows[0]?.shopId };
}
