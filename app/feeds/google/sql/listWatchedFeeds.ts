import type { SqlRunner } from "../../../db/database.server";

export interface WatchedFeed {
  id: string;
  name: string;
  options: unknown;
  created_at: Date;
  published_at: Date | null;
  last_fetched_at: Date | null;
}

/** Every enabled Google feed with when it was created, last published and last fetched. */
export async function listWatchedFeeds(sql: SqlRunner): Promise<WatchedFeed[]> {
  return sql.query<WatchedFeed>(
    `SELECT d.id, d.name, d.options, COALESCE(f.created_at, d.created_at) AS created_at, f.published_at, f.last_fetched_at
     FROM destination d LEFT JOIN feed f ON f.destination_id = d.id
     WHERE d.kind = 'google_feed' AND d.enabled`,
  );
}
