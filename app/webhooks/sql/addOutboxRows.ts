import type { SqlRunner } from "../../db/database.server";
import type { DomainEvent } from "../../events/domainEvents";

/**
 * Records, inside the transaction that applies the events, that their subscribers are owed a call.
 * The rows start leased to the applying worker, which calls the subscribers right after the commit;
 * if it dies first, the lease runs out and any worker's drain calls them. Returns the ids, in order.
 */
export async function addOutboxRows(tx: SqlRunner, workerId: string, leaseMs: number, rows: Array<{ inboxId: string; event: DomainEvent }>): Promise<string[]> {
  const inserted = await tx.query<{ id: string }>(
    `INSERT INTO webhook_outbox (shop_id, inbox_id, event, state, attempts, locked_by, locked_until)
     SELECT (r.e->1->>'shopId')::uuid, (r.e->>0)::bigint, r.e->1, 'processing', 1, $2, now() + make_interval(secs => $3::double precision / 1000)
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS r(e, n)
     ORDER BY r.n
     RETURNING id::text AS id`,
    [JSON.stringify(rows.map((row) => [row.inboxId, row.event])), workerId, leaseMs],
  );
  // Ids are drawn in insertion order: sorted, they line up with `rows`.
  return inserted.map((row) => row.id).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}
