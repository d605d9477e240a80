import type { SqlRunner } from "../../db/database.server";

/** Staff's run request (`sync_now`, `full`, `rollback:<run id>`): the scheduler picks it up at its next look. */
export async function setRequestedRun(sql: SqlRunner, id: string, request: string): Promise<void> {
  await sql.query(`UPDATE destination SET requested_run = $2, updated_at = now() WHERE id = $1`, [id, request]);
}
