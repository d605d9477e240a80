import type { SqlRunner } from "../../../db/database.server";

export interface FeedState {
  publishedAt: Date | null;
  /** The last fetch by the marketplace (Merchant Center), any file. */
  lastFetchedAt: Date | null;
}

/** When a feed was last published and last fetched; both null before its first build. */
export async function readFeedState(sql: SqlRunner, destinationId: string): Promise<FeedState> {
  const [row] = await sql.query<FeedState>(
    `SELECT published_at AS "publishedAt", last_fetched_at AS "lastFetchedAt" FROM feed WHERE destination_id = $1::uuid`,
    [destinationId],
  );
  return row ?? { publishedAt: null, lastFetchedAt: null };
}
