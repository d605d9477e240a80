import type { SqlRunner } from "../../db/database.server";
import { LockstepError } from "../../config/errors";

/** Which dead letters to replay: explicit ids, or a filter (all of it optional: `{}` is every dead letter). */
export interface ReplaySelection {
  ids?: string[];
  topic?: string;
  shopId?: string;
  /** On the time the delivery was received. */
  from?: Date;
  to?: Date;
}

export interface ReplayRequest {
  selection: ReplaySelection;
  /** Who asked: a staff user id or email, or `cli:<user>`. */
  requestedBy: string;
  reason?: string;
}

/**
 * Puts the selected dead letters back in the pipeline (pending, attempts and lease expiries from zero, history kept)
 * and records who asked in the replay audit log, in one statement: a replay is never unaudited.
 */
export async function replayDeadLetters(sql: SqlRunner, request: ReplayRequest): Promise<{ replayId: string; inboxIds: string[] }> {
  if (!request.requestedBy.trim()) throw new LockstepError("missing_requester", "A replay must say who asked for it");
  const { ids, topic, shopId, from, to } = request.selection;
  const rows = await sql.query<{ replay_id: string; inbox_ids: string[] | null }>(
    `WITH replayed AS (
       UPDATE webhook_inbox
       SET state = 'pending', attempts = 0, lease_expiries = 0, run_at = now(), dead_at = NULL, replay_count = replay_count + 1
       WHERE state = 'dead'
         AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
         AND ($2::text IS NULL OR topic = $2)
         AND ($3::uuid IS NULL OR shop_id = $3::uuid)
         AND ($4::timestamptz IS NULL OR received_at >= $4)
         AND ($5::timestamptz IS NULL OR received_at < $5)
       RETURNING id
     ), audit AS (
       INSERT INTO webhook_replay (id, requested_by, reason, selection, inbox_ids)
       SELECT gen_random_uuid(), $6, $7, $8::jsonb, COALESCE(array_agg(id ORDER BY id), '{}') FROM replayed
       RETURNING id, inbox_ids
     )
     SELECT id::text AS replay_id, inbox_ids::text[] AS inbox_ids FROM audit`,
    [
      ids ?? null,
      topic ?? null,
      shopId ?? null,
      from?.toISOString() ?? null,
      to?.toISOString() ?? null,
      request.requestedBy,
      request.reason ?? "",
      JSON.stringify(request.selection),
    ],
  );
  const row = rows[0]!;
  return { replayId: row.replay_id, inboxIds: row.inbox_ids ?? [] };
}
