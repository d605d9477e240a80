// Freshness watchdog: Google drops every product 30 days after its last refresh, so a feed that
// quietly stops being fetched or rebuilt loses the catalog. Each tick raises an alert (a log line
// and a `feed_alert` row staff see) when a feed was not fetched or not rebuilt within its expected
// interval, and resolves it once that is true again.

import type { SqlRunner } from "../../db/database.server";
import { log } from "../../observability/log.server";
import { parseGoogleFeedOptions } from "./options";

export type FeedAlertKind = "not_fetched" | "not_rebuilt";

export interface RaisedAlert {
  destinationId: string;
  kind: FeedAlertKind;
  message: string;
}

interface FeedRow {
  id: string;
  name: string;
  options: unknown;
  created_at: Date;
  published_at: Date | null;
  last_fetched_at: Date | null;
}

/** Checks every enabled Google feed once; returns the alerts raised now (open ones are not raised twice). */
export async function checkFeedFreshness(sql: SqlRunner, now: Date): Promise<RaisedAlert[]> {
  const feeds = await sql.query<FeedRow>(
    `SELECT d.id, d.name, d.options, COALESCE(f.created_at, d.created_at) AS created_at, f.published_at, f.last_fetched_at
     FROM destination d LEFT JOIN feed f ON f.destination_id = d.id
     WHERE d.kind = 'google_feed' AND d.enabled`,
  );
  const raised: RaisedAlert[] = [];
  for (const feed of feeds) {
    let options;
    try {
      options = parseGoogleFeedOptions(feed.options);
    } catch {
      continue;
    }
    const since = (at: Date | null) => (now.getTime() - new Date(at ?? feed.created_at).getTime()) / 60_000;
    const checks: Array<{ kind: FeedAlertKind; late: boolean; message: string }> = [
      {
        kind: "not_fetched",
        late: since(feed.last_fetched_at) > options.expectFetchWithinMinutes,
        message: `${feed.name}: not fetched ${feed.last_fetched_at ? `since ${new Date(feed.last_fetched_at).toISOString()}` : "yet"} (expected every ${options.expectFetchWithinMinutes} min); Google drops products 30 days after their last refresh`,
      },
      {
        kind: "not_rebuilt",
        late: since(feed.published_at) > options.expectRebuildWithinMinutes,
        message: `${feed.name}: no snapshot published ${feed.published_at ? `since ${new Date(feed.published_at).toISOString()}` : "yet"} (expected every ${options.expectRebuildWithinMinutes} min): see the destination's runs`,
      },
    ];
    for (const check of checks) {
      if (check.late) {
        const inserted = await sql.query(
          `INSERT INTO feed_alert (destination_id, kind, message, raised_at)
           SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM feed_alert WHERE destination_id = $1 AND kind = $2 AND resolved_at IS NULL)
           RETURNING id`,
          [feed.id, check.kind, check.message, now.toISOString()],
        );
        if (inserted.length > 0) {
          log.warn("feed freshness alert", { destinationId: feed.id, kind: check.kind, message: check.message });
          raised.push({ destinationId: feed.id, kind: check.kind, message: check.message });
        }
      } else {
        await sql.query(`UPDATE feed_alert SET resolved_at = $3 WHERE destination_id = $1 AND kind = $2 AND resolved_at IS NULL`, [feed.id, check.kind, now.toISOString()]);
      }
    }
  }
  return raised;
}

/** The open alerts of a shop's feeds, newest first (what the admin shows). */
export async function openFeedAlerts(sql: SqlRunner, shopId: string): Promise<Array<{ destinationId: string; kind: FeedAlertKind; message: string; raisedAt: Date }>> {
  return sql.query(
    `SELECT a.destination_id AS "destinationId", a.kind, a.message, a.raised_at AS "raisedAt"
     FROM feed_alert a JOIN destination d ON d.id = a.destination_id
     WHERE d.shop_id = $1 AND a.resolved_at IS NULL ORDER BY a.id DESC`,
    [shopId],
  );
}

/** Ticks the watchdog in a process's background work (every process may: alerts are raised once). */
export function startFeedWatchdog(sql: SqlRunner, options: { tickMs?: number; now?: () => Date } = {}): () => Promise<void> {
  const now = options.now ?? (() => new Date());
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = checkFeedFreshness(sql, now()).catch((error: unknown) => log.warn("feed watchdog failed", { error }));
  }, options.tickMs ?? 60_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
