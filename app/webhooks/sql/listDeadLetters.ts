import type { SqlRunner } from "../../db/database.server";
import type { ReplaySelection } from "./replayDeadLetters";

export interface DeadLetter {
  id: string;
  platform: string;
  shopDomain: string;
  topic: string;
  deliveryId: string;
  eventId: string | null;
  payload: string;
  attempts: number;
  lastError: string | null;
  replayCount: number;
  receivedAt: Date;
  deadAt: Date | null;
  /** Every failed attempt, oldest first (kept across replays). */
  history: Array<{ attempt: number; workerId: string; error: string; failedAt: string; retryAt: string | null }>;
}

/** Dead letters for staff to inspect before a replay; the same filters as the replay (ids excluded). */
export async function listDeadLetters(sql: SqlRunner, filter: Omit<ReplaySelection, "ids"> & { limit?: number } = {}): Promise<DeadLetter[]> {
  return sql.query<DeadLetter>(
    `SELECT i.id::text AS id, i.platform::text AS platform, s.domain AS "shopDomain", i.topic, i.delivery_id AS "deliveryId", i.event_id AS "eventId",
       i.payload, i.attempts, i.last_error AS "lastError", i.replay_count AS "replayCount", i.received_at AS "receivedAt", i.dead_at AS "deadAt",
       COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt, 'workerId', a.worker_id, 'error', a.error, 'failedAt', a.failed_at, 'retryAt', a.retry_at) ORDER BY a.id)
                 FROM webhook_attempt a WHERE a.inbox_id = i.id), '[]'::json) AS history
     FROM webhook_inbox i JOIN shop s ON s.id = i.shop_id
     WHERE i.state = 'dead'
       AND ($1::text IS NULL OR i.topic = $1)
       AND ($2::uuid IS NULL OR i.shop_id = $2::uuid)
       AND ($3::timestamptz IS NULL OR i.received_at >= $3)
       AND ($4::timestamptz IS NULL OR i.received_at < $4)
     ORDER BY i.dead_at DESC, i.id DESC
     LIMIT $5`,
    [filter.topic ?? null, filter.shopId ?? null, filter.from?.toISOString() ?? null, filter.to?.toISOString() ?? null, filter.limit ?? 100],
  );
}
