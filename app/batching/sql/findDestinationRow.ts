import type { SqlRunner } from "../../db/database.server";
import { COLUMNS, type DestinationRow } from "./destinationRow";

/** The destination with this id (and of this shop when given), or undefined. */
export async function findDestinationRow(sql: SqlRunner, id: string, shopId?: string): Promise<DestinationRow | undefined> {
  const rows = await sql.query<DestinationRow>(`SELECT ${COLUMNS} FROM destination WHERE id = $1 AND ($2::uuid IS NULL OR shop_id = $2)`, [id, shopId ?? null]);
  return rows[0];
}
