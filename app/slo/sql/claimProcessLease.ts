import type { SqlRunner } from "../../db/database.server";

/**
 * Takes or renews a named lease for `owner` until now + `leaseMs`: true when this owner holds it
 * afterwards. One statement; a lease whose holder died expires and the next caller takes it.
 */
export async function claimProcessLease(sql: SqlRunner, name: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
  const rows = await sql.query<{ owner: string }>(
    `INSERT INTO process_lease (name, owner, lease_until) VALUES ($1, $2, $3::timestamptz + $4 * interval '1 millisecond')
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
       WHERE process_lease.owner = excluded.owner OR process_lease.lease_until < $3
     RETURNING owner`,
    [name, owner, now, leaseMs],
  );
  return rows[0]?.owner === owner;
}

/** Lets go of a lease at shutdown so another process takes over at once. */
export async function releaseProcessLease(sql: SqlRunner, name: string, owner: string): Promise<void> {
  await sql.query(`DELETE FROM process_lease WHERE name = $1 AND owner = $2`, [name, owner]);
}
