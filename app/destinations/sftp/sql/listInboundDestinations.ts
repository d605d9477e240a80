import type { SqlRunner } from "../../../db/database.server";

/** The enabled files destinations whose ERP also leaves snapshots for Lockstep (`options.inbound`). */
export async function listInboundDestinations(sql: SqlRunner): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(`SELECT id FROM destination WHERE enabled AND kind::text = 'sftp_files' AND options->'inbound' IS NOT NULL ORDER BY id`);
  return rows.map((row) => row.id);
}
