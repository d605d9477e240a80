import type { SqlRunner } from "../../db/database.server";
import type { Platform } from "../../generated/prisma/client";
import { claimDueRowsSql } from "../../db/claimDueRows";

export interface ClaimedRow {
  id: string;
  platform: Platform;
  shopId: string;
  shopDomain: string;
  shopInstalled: boolean;
  topic: string;
  deliveryId: string;
  eventId: string | null;
  payload: string;
  triggeredAt: Date | null;
  receivedAt: Date;
  storedAt: Date;
  /** This claim included. */
  attempts: number;
}

const CLAIM = claimDueRowsSql("webhook_inbox", {
  select: `i.id::text AS id, i.platform::text AS platform, i.shop_id AS "shopId", s.domain AS "shopDomain",
       (s.install_state = 'installed') AS "shopInstalled", i.topic, i.delivery_id AS "deliveryId", i.event_id AS "eventId",
       i.payload, i.triggered_at AS "triggeredAt", i.received_at AS "receivedAt", i.stored_at AS "storedAt", i.attempts`,
  join: "JOIN shop s ON s.id = i.shop_id",
  // A dead letter carries why in its attempt history, like one whose attempts were spent.
  buried: `INSERT INTO webhook_attempt (inbox_id, attempt, worker_id, error, retry_at) SELECT id, attempts, COALESCE(lost_by, ''), last_error, NULL FROM buried`,
});

/**
 * Leases up to `limit` due rows to `workerId` for `leaseMs` (see claimDueRows.ts); a row whose lease
 * ran out `maxLeaseExpiries` times becomes a dead letter instead.
 */
export async function claimInboxRows(sql: SqlRunner, workerId: string, limit: number, leaseMs: number, maxLeaseExpiries = 5): Promise<ClaimedRow[]> {
  return sql.query<ClaimedRow>(CLAIM, [workerId, limit, leaseMs, maxLeaseExpiries]);
}
