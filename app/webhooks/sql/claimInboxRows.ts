import type { SqlRunner } from "../../db/database.server";
import type { Platform } from "../../generated/prisma/client";

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

/**
 * Leases up to `limit` due rows to `workerId` for `leaseMs`: pending rows whose time has come, and
 * rows whose holder's lease ran out (a crashed worker). One statement; SKIP LOCKED means two
 * workers never get the same row and never wait for each other.
 */
export async function claimInboxRows(sql: SqlRunner, workerId: string, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
  return sql.query<ClaimedRow>(
    `WITH next AS (
       SELECT id FROM webhook_inbox
       WHERE (state = 'pending' AND run_at <= now()) OR (state = 'processing' AND locked_until < now())
       ORDER BY id
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_inbox i
     SET state = 'processing', locked_by = $1, locked_until = now() + make_interval(secs => $3::double precision / 1000), attempts = i.attempts + 1
     FROM next, shop s
     WHERE i.id = next.id AND s.id = i.shop_id
     RETURNING i.id::text AS id, i.platform::text AS platform, i.shop_id AS "shopId", s.domain AS "shopDomain",
       (s.install_state = 'installed') AS "shopInstalled", i.topic, i.delivery_id AS "deliveryId", i.event_id AS "eventId",
       i.payload, i.triggered_at AS "triggeredAt", i.received_at AS "receivedAt", i.stored_at AS "storedAt", i.attempts`,
    [workerId, limit, leaseMs],
  );
}
