import type { SqlRunner } from "../../db/database.server";

export interface LastRun {
  destinationId: string;
  name: string;
  mode: string;
  runId: string | null;
  status: string | null;
  finishedAt: Date | null;
  sent: number | null;
  rejected: number | null;
  variance: number | null;
}

/** Each of the shop's destinations by name with its latest run (nulls before its first). */
export async function listLastRuns(sql: SqlRunner, shopId: string): Promise<LastRun[]> {
  return sql.query<LastRun>(
    `SELECT d.id AS "destinationId", d.name, d.mode::text AS mode, r.id::text AS "runId", r.status, r.finished_at AS "finishedAt", r.sent, r.rejected, r.variance
     FROM destination d
     LEFT JOIN LATERAL (SELECT * FROM destination_run WHERE destination_id = d.id ORDER BY id DESC LIMIT 1) r ON true
     WHERE d.shop_id = $1 ORDER BY d.name`,
    [shopId],
  );
}
