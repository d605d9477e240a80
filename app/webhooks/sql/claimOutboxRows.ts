import type { SqlRunner } from "../../db/database.server";
import type { DomainEvent } from "../../events/domainEvents";
import { claimDueRowsSql } from "../../db/claimDueRows";

export interface OwedCall {
  id: string;
  event: DomainEvent;
  /** This claim included. */
  attempts: number;
}

const CLAIM = claimDueRowsSql("webhook_outbox", { select: `i.id::text AS id, i.event, i.attempts` });

/**
 * Leases up to `limit` owed subscriber calls to `workerId` (see claimDueRows.ts): those whose
 * applying worker died before making them, and those due again after a failure.
 */
export async function claimOutboxRows(sql: SqlRunner, workerId: string, limit: number, leaseMs: number, maxLeaseExpiries: number): Promise<OwedCall[]> {
  const rows = await sql.query<{ id: string; event: DomainEvent & { occurredAt: string }; attempts: number }>(CLAIM, [workerId, limit, leaseMs, maxLeaseExpiries]);
  return rows.map((row) => ({ ...row, event: { ...row.event, occurredAt: new Date(row.event.occurredAt) } }));
}
