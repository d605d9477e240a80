import type { SqlRunner } from "../../db/database.server";
import { claimDueRowsSql } from "../../db/claimDueRows";

export interface ClaimedActivation {
  id: string;
  shopId: string;
  versionId: string;
  runAt: Date;
  attempts: number;
}

const CLAIM = claimDueRowsSql("price_activation", {
  select: `i.id::text AS id, i.shop_id AS "shopId", i.version_id::text AS "versionId", i.run_at AS "runAt", i.attempts`,
});

/**
 * Leases up to `limit` due activations to `workerId` for `leaseMs` in one statement (the inbox's
 * lease design, app/webhooks/sql/claimDueRows.ts): two workers never get the same row, and a row
 * whose worker died is handed to another once its lease ran out.
 */
export async function claimActivations(sql: SqlRunner, workerId: string, limit: number, leaseMs: number, maxLeaseExpiries = 5): Promise<ClaimedActivation[]> {
  return sql.query<ClaimedActivation>(CLAIM, [workerId, limit, leaseMs, maxLeaseExpiries]);
}
