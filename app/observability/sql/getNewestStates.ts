import type { SqlRunner } from "../../db/database.server";

/** Per domain, the end of the newest minute with an applied change (from the latency roll-ups); a null shop: every shop. */
export async function getNewestAppliedByDomain(sql: SqlRunner, shopId: string | null): Promise<{ domain: string; newest: Date }[]> {
  return sql.query<{ domain: string; newest: Date }>(
    `SELECT domain, max(minute) + interval '1 minute' AS newest FROM latency_rollup
     WHERE stage = 'applied' AND ($1::uuid IS NULL OR shop_id = $1) GROUP BY domain`,
    [shopId],
  );
}

/** Per destination, when its newest run that sent finished (null: none yet); a null shop: every shop. */
export async function getNewestPushedByDestination(sql: SqlRunner, shopId: string | null): Promise<{ name: string; newest: Date | null }[]> {
  return sql.query<{ name: string; newest: Date | null }>(
    `SELECT d.name, max(r.finished_at) AS newest FROM destination d
     LEFT JOIN destination_run r ON r.destination_id = d.id AND r.status IN ('succeeded', 'partial')
     WHERE ($1::uuid IS NULL OR d.shop_id = $1) GROUP BY d.id, d.name ORDER BY d.name`,
    [shopId],
  );
}
