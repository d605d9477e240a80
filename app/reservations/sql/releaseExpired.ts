import type { SqlRunner } from "../../db/database.server";
import { type ReleaseResult, releaseStatement, toReleaseResult } from "./release";

/**
 * Expires up to `limit` holds whose time is up, across all shops. SKIP LOCKED: several sweepers
 * (one per process) share the work, and a hold being adjusted by its shopper right now is left
 * for the next round instead of waited for.
 */
export async function releaseExpired(sql: SqlRunner, input: { now: Date; limit: number }): Promise<ReleaseResult> {
  const rows = await sql.query<Parameters<typeof toReleaseResult>[0]>(
    releaseStatement(
      `SELECT r.* FROM reservation r WHERE r.status = 'active' AND r.expires_at <= $1::timestamptz
       ORDER BY r.expires_at LIMIT $2::int FOR UPDATE SKIP LOCKED`,
      "'expired'",
      "$1",
      "'expired'",
    ),
    [input.now, input.limit],
  );
  return toReleaseResult(rows[0]!);
}
