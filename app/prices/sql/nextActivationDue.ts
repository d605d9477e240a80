import type { SqlRunner } from "../../db/database.server";

/** Milliseconds until the next pending activation is due (0 when one is due already), null when none is planned. */
export async function nextActivationDue(sql: SqlRunner): Promise<number | null> {
  const [row] = await sql.query<{ waitMs: number | null }>(
    `SELECT greatest(0, extract(epoch FROM min(run_at) - now()) * 1000)::float8 AS "waitMs" FROM price_activation WHERE state = 'pending'`,
  );
  return row?.waitMs ?? null;
}
