import type { SqlRunner } from "../../db/database.server";

export interface SloStateRow {
  objective: string;
  breached: boolean;
  streak: number;
  incidentId: string | null;
  value: number | null;
  evaluatedAt: Date;
}

export async function readSloStates(sql: SqlRunner, shopId: string, options: { lock?: boolean } = {}): Promise<SloStateRow[]> {
  return sql.query<SloStateRow>(
    `SELECT objective, breached, streak, incident_id::text AS "incidentId", value, evaluated_at AS "evaluatedAt"
     FROM slo_state WHERE shop_id = $1 ORDER BY objective ${options.lock ? "FOR UPDATE" : ""}`,
    [shopId],
  );
}

export async function saveSloState(sql: SqlRunner, shopId: string, row: Omit<SloStateRow, "incidentId"> & { incidentId: string | null }): Promise<void> {
  await sql.query(
    `INSERT INTO slo_state (shop_id, objective, breached, streak, incident_id, value, evaluated_at) VALUES ($1, $2, $3, $4, $5::bigint, $6, $7)
     ON CONFLICT (shop_id, objective) DO UPDATE SET breached = excluded.breached, streak = excluded.streak, incident_id = excluded.incident_id,
       value = excluded.value, evaluated_at = excluded.evaluated_at`,
    [shopId, row.objective, row.breached, row.streak, row.incidentId, row.value, row.evaluatedAt],
  );
}

/** Opens an incident and owes its "opened" notification, in the caller's transaction. */
export async function openIncident(sql: SqlRunner, input: { shopId: string; objective: string; threshold: number; value: number; at: Date }): Promise<string> {
  const [row] = await sql.query<{ id: string }>(
    `WITH opened AS (
       INSERT INTO slo_incident (shop_id, objective, threshold, worst_value, opened_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, shop_id)
     INSERT INTO slo_notification (incident_id, shop_id, event) SELECT id, shop_id, 'opened' FROM opened RETURNING incident_id::text AS id`,
    [input.shopId, input.objective, input.threshold, input.value, input.at],
  );
  return row!.id;
}

/** Resolves an open incident once and owes its "resolved" notification (nothing when it was already resolved). */
export async function resolveIncident(sql: SqlRunner, incidentId: string, at: Date): Promise<boolean> {
  const rows = await sql.query(
    `WITH resolved AS (UPDATE slo_incident SET resolved_at = $2 WHERE id = $1::bigint AND resolved_at IS NULL RETURNING id, shop_id)
     INSERT INTO slo_notification (incident_id, shop_id, event) SELECT id, shop_id, 'resolved' FROM resolved RETURNING 1`,
    [incidentId, at],
  );
  return rows.length > 0;
}

export async function noteWorstValue(sql: SqlRunner, incidentId: string, value: number): Promise<void> {
  await sql.query(`UPDATE slo_incident SET worst_value = GREATEST(worst_value, $2) WHERE id = $1::bigint`, [incidentId, value]);
}

export interface IncidentRow {
  id: string;
  objective: string;
  threshold: number;
  worstValue: number;
  openedAt: Date;
  resolvedAt: Date | null;
}

/** A shop's incidents, open ones first, newest first. */
export async function listIncidents(sql: SqlRunner, shopId: string, options: { limit?: number; openOnly?: boolean } = {}): Promise<IncidentRow[]> {
  return sql.query<IncidentRow>(
    `SELECT id::text, objective, threshold, worst_value AS "worstValue", opened_at AS "openedAt", resolved_at AS "resolvedAt"
     FROM slo_incident WHERE shop_id = $1 AND ($2::boolean IS NOT TRUE OR resolved_at IS NULL)
     ORDER BY resolved_at IS NULL DESC, opened_at DESC LIMIT $3`,
    [shopId, options.openOnly ?? false, options.limit ?? 50],
  );
}
