// Freshness watchdog: Google drops every product 30 days after its last refresh, so a feed that
// quietly stops being fetched or rebuilt loses the catalog. Each tick raises an alert (a log line
// and a `feed_alert` row staff see) when a feed was not fetched or not rebuilt within its expected
// interval, and resolves it once that is true again.

import type { SqlRunner } from "../../db/database.server";
import { log } from "../../observability/log.server";
import { parseGoogleFeedOptions } from "./options";
import { listOpenFeedAlerts } from "./sql/listOpenFeedAlerts";
import { listWatchedFeeds } from "./sql/listWatchedFeeds";
import { raiseFeedAlert } from "./sql/raiseFeedAlert";
import { resolveFeedAlert } from "./sql/resolveFeedAlert";

export type FeedAlertKind = "not_fetched" | "not_rebuilt";

export interface RaisedAlert {
  destinationId: string;
  kind: FeedAlertKind;
  message: string;
}

/** Checks every enabled Google feed once; returns the alerts raised now (open ones are not raised twice). */
export async function checkFeedFreshness(sql: SqlRunner, now: Date): Promise<RaisedAlert[]> {
  const feeds = await listWatchedFeeds(sql);
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
        if (await raiseFeedAlert(sql, { destinationId: feed.id, kind: check.kind, message: check.message, at: now })) {
          log.warn("feed freshness alert", { destinationId: feed.id, kind: check.kind, message: check.message });
          raised.push({ destinationId: feed.id, kind: check.kind, message: check.message });
        }
      } else {
        await resolveFeedAlert(sql, feed.id, check.kind, now);
      }
    }
  }
  return raised;
}

/** The open alerts of a shop's feeds, newest first (what the admin shows). */
export async function openFeedAlerts(sql: SqlRunner, shopId: string): Promise<Array<{ destinationId: string; kind: FeedAlertKind; message: string; raisedAt: Date }>> {
  return listOpenFeedAlerts<FeedAlertKind>(sql, shopId);
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
