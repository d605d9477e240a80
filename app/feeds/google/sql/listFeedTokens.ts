import type { SqlRunner } from "../../../db/database.server";

export interface FeedTokenView {
  id: string;
  createdAt: Date;
  /** Set by a rotation: the token keeps working until then (the overlap). */
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** A feed's tokens, newest first (hashes never leave the database: staff see when, not what). */
export async function listFeedTokens(sql: SqlRunner, destinationId: string, limit = 20): Promise<FeedTokenView[]> {
  return sql.query<FeedTokenView>(
    `SELECT id::text AS id, created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"
     FROM feed_token WHERE destination_id = $1::uuid ORDER BY id DESC LIMIT $2`,
    [destinationId, limit],
  );
}
