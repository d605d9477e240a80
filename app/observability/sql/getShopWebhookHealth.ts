import type { SqlRunner } from "../../db/database.server";

export interface ShopWebhookHealth {
  /** Rows waiting (pending or being processed). */
  unprocessed: number;
  /** Age of the oldest of them, in milliseconds (0 when none). */
  oldestAgeMs: number;
  dead: number;
  /** Deliveries stored since `since`. */
  stored: number;
  /** Events applied since `since`. */
  processed: number;
  /** Processing attempts that failed since `since`. */
  failedAttempts: number;
  /** received → stored (the 200) and received → processed, in milliseconds, for rows received since `since`; null without rows. */
  answerMs: { p50: number | null; p95: number | null; p99: number | null };
  appliedMs: { p50: number | null; p95: number | null; p99: number | null };
}

type Row = Record<"unprocessed" | "oldest_age_ms" | "dead" | "stored" | "processed" | "failed_attempts", number> &
  Record<"answer_p50" | "answer_p95" | "answer_p99" | "applied_p50" | "applied_p95" | "applied_p99", number | null>;

/**
 * One shop's ingestion figures, read from its inbox rows (so every process sees the same, and no
 * shop sees another's): the backlog and dead letters now, volumes and latencies since `since`.
 */
export async function getShopWebhookHealth(sql: SqlRunner, shopId: string, now: Date, since: Date): Promise<ShopWebhookHealth> {
  const [row] = await sql.query<Row>(
    `WITH mine AS (SELECT * FROM webhook_inbox WHERE shop_id = $1::uuid),
     recent AS (SELECT EXTRACT(EPOCH FROM stored_at - received_at) * 1000 AS answer_ms,
                       EXTRACT(EPOCH FROM processed_at - received_at) * 1000 AS applied_ms, state
                FROM mine WHERE received_at >= $3)
     SELECT (SELECT count(*) FROM mine WHERE state IN ('pending', 'processing'))::int AS unprocessed,
       COALESCE((SELECT EXTRACT(EPOCH FROM $2 - min(stored_at)) * 1000 FROM mine WHERE state IN ('pending', 'processing')), 0)::float8 AS oldest_age_ms,
       (SELECT count(*) FROM mine WHERE state = 'dead')::int AS dead,
       (SELECT count(*) FROM recent)::int AS stored,
       (SELECT count(*) FROM recent WHERE state = 'processed')::int AS processed,
       (SELECT count(*) FROM webhook_attempt a JOIN mine ON mine.id = a.inbox_id WHERE a.failed_at >= $3)::int AS failed_attempts,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY answer_ms) FROM recent)::float8 AS answer_p50,
       (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY answer_ms) FROM recent)::float8 AS answer_p95,
       (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY answer_ms) FROM recent)::float8 AS answer_p99,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY applied_ms) FROM recent WHERE applied_ms IS NOT NULL)::float8 AS applied_p50,
       (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY applied_ms) FROM recent WHERE applied_ms IS NOT NULL)::float8 AS applied_p95,
       (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY applied_ms) FROM recent WHERE applied_ms IS NOT NULL)::float8 AS applied_p99`,
    [shopId, now, since],
  );
  const r = row!;
  return {
    unprocessed: r.unprocessed,
    oldestAgeMs: Math.max(0, Math.round(r.oldest_age_ms)),
    dead: r.dead,
    stored: r.stored,
    processed: r.processed,
    failedAttempts: r.failed_attempts,
    answerMs: { p50: r.answer_p50, p95: r.answer_p95, p99: r.answer_p99 },
    appliedMs: { p50: r.applied_p50, p95: r.applied_p95, p99: r.applied_p99 },
  };
}
