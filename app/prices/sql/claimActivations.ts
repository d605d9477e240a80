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
  dueBy: `now() + make_interval(secs => $5::double precision / 1000)`,
});

/**
 * Leases up to `limit` due activations to `workerId` for `leaseMs` in one statement (the inbox's
 * lease design, app/db/claimDueRows.ts): two workers never get the same row, and a row whose
 * worker died is handed to another once its lease ran out. `aheadMs` claims rows due within that
 * long too, so their push is prepared before their boundary (the worker waits for it to push).
 */
export async function claimActivations(sql: SqlRunner, workerId: string, limit: number, leaseMs: number, aheadMs = 0, maxLeaseExpiries = 5): Promise<ClaimedActivation[]> {
  return sql.query<ClaimedActivation>(CLAIM, [workerId, limit, leaseMs, maxLeaseExpiries, aheadMs]);
}
