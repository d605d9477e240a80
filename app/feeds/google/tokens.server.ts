// Fetch tokens of a feed: the URL's secret. Long and random (256 bits), stored only as SHA-256,
// revocable, and rotatable with an overlap (the old token keeps working until Merchant Center's
// settings carry the new URL).

import { createHash, randomBytes } from "node:crypto";
import type { SqlRunner } from "../../db/database.server";

export function hashFeedToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new token for the feed (shown once: only its hash is kept). */
export async function issueFeedToken(sql: SqlRunner, destinationId: string): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await sql.query(`INSERT INTO feed_token (destination_id, token_hash) VALUES ($1, $2)`, [destinationId, hashFeedToken(token)]);
  return token;
}

/** Issues a new token; the feed's current ones keep working `overlapMs` longer, then stop. */
export async function rotateFeedToken(sql: SqlRunner, destinationId: string, overlapMs: number, now: Date): Promise<string> {
  const until = new Date(now.getTime() + overlapMs).toISOString();
  await sql.query(
    `UPDATE feed_token SET expires_at = LEAST(COALESCE(expires_at, $2::timestamptz), $2::timestamptz) WHERE destination_id = $1 AND revoked_at IS NULL`,
    [destinationId, until],
  );
  return issueFeedToken(sql, destinationId);
}

/** Revokes one token of the feed, or all of them (`token` undefined). True when something was revoked. */
export async function revokeFeedToken(sql: SqlRunner, destinationId: string, token: string | undefined, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE feed_token SET revoked_at = $3 WHERE destination_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR token_hash = $2) RETURNING id`,
    [destinationId, token === undefined ? null : hashFeedToken(token), now.toISOString()],
  );
  return rows.length > 0;
}

/** Whether `token` opens feed `destinationId` at `now` (not revoked, not past its overlap). */
export async function tokenOpensFeed(sql: SqlRunner, destinationId: string, token: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `SELECT 1 FROM feed_token WHERE token_hash = $1 AND destination_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)`,
    [hashFeedToken(token), destinationId, now.toISOString()],
  );
  return rows.length > 0;
}
