// Fetch tokens of a feed: the URL's secret. Long and random (256 bits), stored only as SHA-256,
// revocable, and rotatable with an overlap (the old token keeps working until Merchant Center's
// settings carry the new URL).

import { createHash, randomBytes } from "node:crypto";
import type { SqlRunner } from "../../db/database.server";
import { expireFeedTokens } from "./sql/expireFeedTokens";
import { findLiveFeedToken } from "./sql/findLiveFeedToken";
import { insertFeedToken } from "./sql/insertFeedToken";
import { revokeFeedTokens } from "./sql/revokeFeedTokens";

export function hashFeedToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new token for the feed (shown once: only its hash is kept). */
export async function issueFeedToken(sql: SqlRunner, destinationId: string): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await insertFeedToken(sql, destinationId, hashFeedToken(token));
  return token;
}

/** Issues a new token; the feed's current ones keep working `overlapMs` longer, then stop. */
export async function rotateFeedToken(sql: SqlRunner, destinationId: string, overlapMs: number, now: Date): Promise<string> {
  await expireFeedTokens(sql, destinationId, new Date(now.getTime() + overlapMs));
  return issueFeedToken(sql, destinationId);
}

/** Revokes one token of the feed, or all of them (`token` undefined). True when something was revoked. */
export async function revokeFeedToken(sql: SqlRunner, destinationId: string, token: string | undefined, now: Date): Promise<boolean> {
  return revokeFeedTokens(sql, destinationId, token === undefined ? null : hashFeedToken(token), now);
}

/** Whether `token` opens feed `destinationId` at `now` (not revoked, not past its overlap). */
export async function tokenOpensFeed(sql: SqlRunner, destinationId: string, token: string, now: Date): Promise<boolean> {
  return findLiveFeedToken(sql, destinationId, hashFeedToken(token), now);
}
