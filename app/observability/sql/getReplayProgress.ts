import type { SqlRunner } from "../../db/database.server";

export interface ReplayProgressRow {
  replayId: string;
  requestedBy: string;
  createdAt: Date;
  total: number;
  /** Applied (or skipped) since the replay, including rows already purged after being applied. */
  applied: number;
  /** Dead again after the replay. */
  dead: number;
  /** Still waiting or being processed. */
  waiting: number;
  /** When the last of its rows was applied (the pace so far). */
  lastAppliedAt: Date | null;
}

/** The shop's latest replay of dead letters and where its rows stand now; undefined when it never replayed any. */
export async function getReplayProgress(sql: SqlRunner, shopId: string): Promise<ReplayProgressRow | undefined> {
  const [row] = await sql.query<ReplayProgressRow>(
    `WITH replay AS (
       SELECT id, requested_by, created_at, inbox_ids FROM webhook_replay
       WHERE selection->>'shopId' = $1::text ORDER BY created_at DESC LIMIT 1)
     SELECT replay.id::text AS "replayId", replay.requested_by AS "requestedBy", replay.created_at AS "createdAt",
       cardinality(replay.inbox_ids)::int AS total,
       (cardinality(replay.inbox_ids) - count(i.id) FILTER (WHERE i.state IN ('pending', 'processing', 'dead')))::int AS applied,
       count(i.id) FILTER (WHERE i.state = 'dead')::int AS dead,
       count(i.id) FILTER (WHERE i.state IN ('pending', 'processing'))::int AS waiting,
       max(i.processed_at) AS "lastAppliedAt"
     FROM replay LEFT JOIN webhook_inbox i ON i.id = ANY(replay.inbox_ids) AND i.shop_id = $1::uuid
     GROUP BY replay.id, replay.requested_by, replay.created_at, replay.inbox_ids`,
    [shopId],
  );
  return row;
}
