import type { SqlRunner } from "../../db/database.server";

/** Shadow order event records older than the destination's snapshot retention go. */
export async function pruneShadowOrderEvents(sql: SqlRunner, destinationId: string, now: Date): Promise<number> {
  const rows = await sql.query(
    `DELETE FROM shadow_order_event s USING destination d
     WHERE d.id = $1::uuid AND s.destination_id = d.id AND s.created_at < $2::timestamptz - make_interval(days => d.snapshot_retention_days)
     RETURNING 1`,
    [destinationId, now.toISOString()],
  );
  return rows.length;
}
