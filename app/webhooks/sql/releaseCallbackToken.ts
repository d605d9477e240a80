import type { SqlRunner } from "../../db/database.server";

/** Makes a claimed callback token usable again: the callback could not be finished, and the platform will retry it. */
export async function releaseCallbackToken(sql: SqlRunner, jti: string): Promise<void> {
  await sql.query(`DELETE FROM used_callback_token WHERE jti = $1`, [jti]);
}
