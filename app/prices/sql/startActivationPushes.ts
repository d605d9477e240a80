import type { SqlRunner } from "../../db/database.server";

/**
 * The guard before a push: of these activations, the ones this worker still holds with its lease
 * running get a fresh lease for the push and count it (`pushes`, `pushed_at` of the first); the
 * others are not pushed. A worker that stalled past its lease (its rows reclaimed by another, maybe
 * already done) pushes nothing, and rows a worker held prepared when it was killed are pushed once,
 * by the worker that reclaims them after the lease. One statement, one primary-key probe per row.
 */
export async function startActivationPushes(sql: SqlRunner, workerId: string, ids: string[], leaseMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql.query<{ id: string }>(
    `UPDATE price_activation
     SET locked_until = now() + make_interval(secs => $3::double precision / 1000), pushes = pushes + 1, pushed_at = COALESCE(pushed_at, now())
     WHERE id = ANY($2::bigint[]) AND state = 'processing' AND locked_by = $1 AND locked_until > now()
     RETURNING id::text AS id`,
    [workerId, ids, leaseMs],
  );
  return new Set(rows.map((row) => row.id));
}
