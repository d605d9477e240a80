import type { SqlRunner } from "../../db/database.server";

/**
 * Takes the lease `name` for `owner` until now + `leaseMs` when nobody holds it or its holder's
 * lease ran out (a crashed process); one statement, so two processes never both get it.
 */
export async function claimPipelineLease(sql: SqlRunner, name: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await sql.query(
    `INSERT INTO pipeline_lease (name, owner, lease_until) VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
     ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
     WHERE pipeline_lease.lease_until < now()
     RETURNING 1`,
    [name, owner, leaseMs],
  );
  return rows.length === 1;
}

/** Renews a lease `owner` still holds; false when it was lost (ran out and taken over). */
export async function extendPipelineLease(sql: SqlRunner, name: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE pipeline_lease SET lease_until = now() + make_interval(secs => $3::double precision / 1000) WHERE name = $1 AND owner = $2 RETURNING 1`,
    [name, owner, leaseMs],
  );
  return rows.length === 1;
}

export async function releasePipelineLease(sql: SqlRunner, name: string, owner: string): Promise<void> {
  await sql.query(`DELETE FROM pipeline_lease WHERE name = $1 AND owner = $2`, [name, owner]);
}
