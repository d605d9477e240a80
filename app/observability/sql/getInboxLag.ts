import type { SqlRunner } from "../../db/database.server";

export interface InboxLag {
  /** Rows waiting (pending or being processed). */
  unprocessed: number;
  /** Age of the oldest of them, in milliseconds (0 when none). */
  oldestAgeMs: number;
  dead: number;
}

export async function getInboxLag(sql: SqlRunner): Promise<InboxLag> {
  const rows = await sql.query<{ unprocessed: number; oldest_age_ms: number; dead: number }>(
    `SELECT count(*) FILTER (WHERE state IN ('pending', 'processing'))::int AS unprocessed,
       COALESCE(EXTRACT(EPOCH FROM now() - min(stored_at) FILTER (WHERE state IN ('pending', 'processing'))) * 1000, 0)::float8 AS oldest_age_ms,
       count(*) FILTER (WHERE state = 'dead')::int AS dead
     FROM webhook_inbox WHERE state IN ('pending', 'processing', 'dead')`,
  );
  const row = rows[0]!;
  return { unprocessed: row.unprocessed, oldestAgeMs: Math.max(0, Math.round(row.oldest_age_ms)), dead: row.dead };
}
